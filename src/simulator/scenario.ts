// What a simulated DashScope account holds and how its jobs behave over time,
// as plain JSON so that scenarios can be written by hand and kept as files.
// Everything read from a file is validated here, with errors that name the
// file and the field, before any server starts.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseFault, type Fault } from './faults.js'
import {
  optionalField,
  readArray,
  readInteger,
  readObject,
  readOneOf,
  readString,
  readStringArray,
  ScenarioError,
  type JsonObject
} from './json-fields.js'
import { resolveLogFile } from './log-source.js'

export { ScenarioError } from './json-fields.js'
export type { Fault, FaultKind } from './faults.js'

export const TERMINAL_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELED'] as const

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status)
}

export type JobStatus =
  | 'PENDING'
  | 'QUEUING'
  | 'RUNNING'
  | 'CANCELING'
  | (typeof TERMINAL_STATUSES)[number]

/** When a timeline step begins: whichever condition is met first. */
export interface StepTrigger {
  /** Requests to this job, of any endpoint, since the previous step began. */
  requests?: number
  /** Milliseconds since the previous step began. */
  ms?: number
}

export interface TimelineStep {
  // Any other string is served as is, to test clients against statuses that
  // the API reference does not list.
  status: JobStatus | (string & {})
  /**
   * How many log lines exist from this step on; a negative number counts from
   * the end (-2: all but the last two). Unset: as many as before, except on
   * the last step, where it means all. The log never shrinks.
   */
  visibleLines?: number
  /** Not on the first step, which begins at once. Default: 1 request. */
  after?: StepTrigger
}

export interface GeneratedLogSpec {
  count: number
  /** `{n}` becomes the 1-based line number. Default `L{n}`. */
  template?: string
}

export type FaultEndpoint = 'logs' | 'job' | 'cancel' | 'any'

export interface FaultRule {
  /** Default 'any'. */
  endpoint?: FaultEndpoint
  /** Only the nth request (1-based) to `endpoint` for this job. */
  nth?: number
  /** Only the nth requests from `from` to `to`, both included. */
  from?: number
  to?: number
  /** Only logs requests that ask for this offset (as sent). */
  offset?: number
  /** Apply at most this many times. */
  times?: number
  fault: Fault
}

export interface JobScenario {
  jobId: string
  description?: string

  // The log: at most one of lines, logFile, generate; then lines or a file
  // appended after it. No source at all is an empty log.
  lines?: string[]
  /** A fixture name from `fixtures/logs`, or a path. */
  logFile?: string
  generate?: GeneratedLogSpec
  then?: string[]
  thenFile?: string

  /** Default: one step, SUCCEEDED, with every line visible. */
  timeline?: TimelineStep[]
  /** While RUNNING, each logs request reveals this many more lines. */
  linesPerRequest?: number
  /** Fields merged over the job object template. */
  job?: JsonObject
  /** 0 (default): offset counts lines skipped; 1: offset 1 is line 1. */
  offsetBase?: 0 | 1
  /** When set, only `Bearer <apiKey>` is accepted. */
  apiKey?: string
  faults?: FaultRule[]
}

export interface Scenario {
  description?: string
  jobs: JobScenario[]
}

const BUILTIN_SCENARIOS_DIR = fileURLToPath(
  new URL('./scenarios/', import.meta.url)
)

const JOB_FIELDS = [
  'jobId',
  'description',
  'lines',
  'logFile',
  'generate',
  'then',
  'thenFile',
  'timeline',
  'linesPerRequest',
  'job',
  'offsetBase',
  'apiKey',
  'faults'
] as const

// The service sets these itself; a scenario that overrode them would serve a
// job object that disagrees with its own URL or timeline.
const JOB_FIELDS_NOT_OVERRIDABLE = ['job_id', 'status']

function parseTrigger(value: unknown, where: string): StepTrigger {
  const object = readObject(value, where, ['requests', 'ms'])
  const trigger: StepTrigger = {
    requests: optionalField(object, 'requests', where, (v, at) =>
      readInteger(v, at, { min: 1 })
    ),
    ms: optionalField(object, 'ms', where, (v, at) =>
      readInteger(v, at, { min: 0 })
    )
  }
  if (trigger.requests === undefined && trigger.ms === undefined) {
    throw new ScenarioError(`${where} needs "requests" or "ms"`)
  }
  return trigger
}

function parseTimeline(value: unknown, where: string): TimelineStep[] {
  const steps = readArray(value, where)
  if (steps.length === 0) {
    throw new ScenarioError(`${where} needs at least one step`)
  }
  return steps.map((item, index) => {
    const at = `${where}[${index}]`
    const object = readObject(item, at, ['status', 'visibleLines', 'after'])
    if (index === 0 && object.after !== undefined) {
      throw new ScenarioError(
        `${at}.after is not allowed: the first step begins at once`
      )
    }
    return {
      status: readString(object.status, `${at}.status`, { nonEmpty: true }),
      visibleLines: optionalField(object, 'visibleLines', at, readInteger),
      after: optionalField(object, 'after', at, parseTrigger)
    }
  })
}

function parseFaultRule(value: unknown, where: string): FaultRule {
  const object = readObject(value, where, [
    'endpoint',
    'nth',
    'from',
    'to',
    'offset',
    'times',
    'fault'
  ])
  const positive = (v: unknown, at: string) => readInteger(v, at, { min: 1 })
  const rule: FaultRule = {
    endpoint: optionalField(object, 'endpoint', where, (v, at) =>
      readOneOf<FaultEndpoint>(v, at, ['logs', 'job', 'cancel', 'any'])
    ),
    nth: optionalField(object, 'nth', where, positive),
    from: optionalField(object, 'from', where, positive),
    to: optionalField(object, 'to', where, positive),
    offset: optionalField(object, 'offset', where, (v, at) =>
      readInteger(v, at, { min: 0 })
    ),
    times: optionalField(object, 'times', where, positive),
    fault: parseFault(object.fault, `${where}.fault`)
  }

  if (rule.nth !== undefined && (rule.from ?? rule.to) !== undefined) {
    throw new ScenarioError(`${where}: give either "nth" or "from"/"to"`)
  }
  if (rule.to !== undefined && rule.to < (rule.from ?? 1)) {
    throw new ScenarioError(`${where}.to must not be less than "from"`)
  }
  if (rule.offset !== undefined && rule.endpoint !== 'logs') {
    throw new ScenarioError(
      `${where}.offset only applies to "endpoint": "logs"`
    )
  }
  return rule
}

function parseJobOverrides(value: unknown, where: string): JsonObject {
  const object = readObject(value, where)
  for (const field of JOB_FIELDS_NOT_OVERRIDABLE) {
    if (field in object) {
      throw new ScenarioError(
        `${where}.${field} cannot be set: the simulator derives it from ` +
          'jobId and the timeline'
      )
    }
  }
  return { ...object }
}

function parseJobScenario(value: unknown, where: string): JobScenario {
  const object = readObject(value, where, JOB_FIELDS)
  const field = <T>(key: string, read: (v: unknown, at: string) => T) =>
    optionalField(object, key, where, read)

  const job: JobScenario = {
    jobId: readString(object.jobId, `${where}.jobId`, { nonEmpty: true }),
    description: field('description', readString),
    lines: field('lines', readStringArray),
    logFile: field('logFile', (v, at) => readString(v, at, { nonEmpty: true })),
    generate: field('generate', (v, at) => {
      const spec = readObject(v, at, ['count', 'template'])
      return {
        count: readInteger(spec.count, `${at}.count`, { min: 0 }),
        template: optionalField(spec, 'template', at, readString)
      }
    }),
    then: field('then', readStringArray),
    thenFile: field('thenFile', (v, at) =>
      readString(v, at, { nonEmpty: true })
    ),
    timeline: field('timeline', parseTimeline),
    linesPerRequest: field('linesPerRequest', (v, at) =>
      readInteger(v, at, { min: 1 })
    ),
    job: field('job', parseJobOverrides),
    offsetBase: field('offsetBase', (v, at) => readOneOf(v, at, [0, 1])),
    apiKey: field('apiKey', (v, at) => readString(v, at, { nonEmpty: true })),
    faults: field('faults', (v, at) =>
      readArray(v, at).map((rule, i) => parseFaultRule(rule, `${at}[${i}]`))
    )
  }

  const sources = (['lines', 'logFile', 'generate'] as const).filter(
    key => job[key] !== undefined
  )
  if (sources.length > 1) {
    throw new ScenarioError(
      `${where} has more than one log source (${sources.join(', ')}); ` +
        'use "then" or "thenFile" to append to one'
    )
  }
  if (job.then !== undefined && job.thenFile !== undefined) {
    throw new ScenarioError(`${where} has both "then" and "thenFile"`)
  }
  return job
}

/**
 * Checks a scenario, given either as `{ jobs: [...] }` or as a single job,
 * and returns a validated copy in the `{ jobs }` form. `source` names where
 * it came from in error messages.
 */
export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  try {
    const object = readObject(value, 'scenario')
    if (!('jobs' in object)) {
      return { jobs: [parseJobScenario(object, 'scenario')] }
    }

    const scenario = readObject(object, 'scenario', ['description', 'jobs'])
    const jobs = readArray(scenario.jobs, 'scenario.jobs').map((job, index) =>
      parseJobScenario(job, `scenario.jobs[${index}]`)
    )
    if (jobs.length === 0) {
      throw new ScenarioError('scenario.jobs needs at least one job')
    }
    const seen = new Set<string>()
    for (const job of jobs) {
      if (seen.has(job.jobId)) {
        throw new ScenarioError(`scenario.jobs has "${job.jobId}" twice`)
      }
      seen.add(job.jobId)
    }
    return {
      description: optionalField(
        scenario,
        'description',
        'scenario',
        readString
      ),
      jobs
    }
  } catch (error) {
    if (error instanceof ScenarioError && source !== 'scenario') {
      throw new ScenarioError(`${source}: ${error.message}`)
    }
    throw error
  }
}

export function builtinScenarioNames(): string[] {
  return readdirSync(BUILTIN_SCENARIOS_DIR)
    .filter(file => file.endsWith('.json'))
    .map(file => file.slice(0, -'.json'.length))
    .sort()
}

function scenarioFilePath(pathOrName: string): string {
  const isName =
    !pathOrName.includes('/') &&
    !pathOrName.includes(sep) &&
    !pathOrName.endsWith('.json')
  if (!isName) return resolve(pathOrName)

  const builtin = join(BUILTIN_SCENARIOS_DIR, `${pathOrName}.json`)
  if (!existsSync(builtin)) {
    throw new ScenarioError(
      `There is no built-in scenario "${pathOrName}". Built-in scenarios: ` +
        `${builtinScenarioNames().join(', ')}; or give a path to a .json file.`
    )
  }
  return builtin
}

/**
 * Reads a scenario from a built-in name (`docs-sample`, resolved in
 * `src/simulator/scenarios/`) or a path to a JSON file. Relative `logFile`
 * and `thenFile` paths are made absolute against the file's folder.
 */
export function loadScenario(pathOrName: string): Scenario {
  const file = scenarioFilePath(pathOrName)

  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ScenarioError(
      `Cannot read the scenario file ${file}: ${(error as Error).message}`
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ScenarioError(
      `The scenario file ${file} is not valid JSON: ${(error as Error).message}`
    )
  }

  const scenario = parseScenario(json, file)
  for (const [index, job] of scenario.jobs.entries()) {
    for (const key of ['logFile', 'thenFile'] as const) {
      const value = job[key]
      if (value === undefined) continue
      const path = resolveLogFile(value, dirname(file))
      if (!existsSync(path)) {
        throw new ScenarioError(
          `${file}: jobs[${index}].${key} "${value}" is neither a fixture ` +
            `log nor a file (looked for ${path})`
        )
      }
      job[key] = path
    }
  }
  return scenario
}

// One fine-tuning job as it moves along its scenario's timeline. The job's
// state changes only when a request arrives, and a request sees the state
// that the requests before it (and the clock) brought about: with
// `after: { requests: 2 }` a step is seen by exactly two requests before the
// next one begins. That keeps every scenario that counts requests exactly
// reproducible.

import { jobObject } from './job-object.js'
import type { JsonObject } from './json-fields.js'
import {
  concatenatedLogs,
  generatedLog,
  logFromLines,
  readLogFile,
  resolveLogFile,
  type LogSource
} from './log-source.js'
import {
  isTerminal,
  type FaultEndpoint,
  type FaultRule,
  type JobScenario,
  type TimelineStep
} from './scenario.js'

/** The endpoints that concern one job, and so count toward its timeline. */
export type JobEndpoint = Exclude<FaultEndpoint, 'any'>

const DEFAULT_TIMELINE: TimelineStep[] = [{ status: 'SUCCEEDED' }]

/** Relative file paths are taken from `baseDir`. */
export function openJobLog(
  scenario: JobScenario,
  baseDir = process.cwd()
): LogSource {
  const parts: LogSource[] = []
  if (scenario.lines) parts.push(logFromLines(scenario.lines))
  if (scenario.logFile) {
    parts.push(readLogFile(resolveLogFile(scenario.logFile, baseDir)))
  }
  if (scenario.generate) {
    const { count, template } = scenario.generate
    parts.push(generatedLog(count, template))
  }
  if (scenario.then) parts.push(logFromLines(scenario.then))
  if (scenario.thenFile) {
    parts.push(readLogFile(resolveLogFile(scenario.thenFile, baseDir)))
  }
  return parts.length === 1 ? (parts[0] as LogSource) : concatenatedLogs(parts)
}

export class SimulatedJob {
  readonly id: string
  readonly log: LogSource
  readonly offsetBase: 0 | 1
  readonly apiKey: string | undefined

  private readonly scenario: JobScenario
  private readonly steps: TimelineStep[]
  private stepIndex = 0
  private stepBeganAt: number
  private requestsInStep = 0
  private visible = 0
  /** Lines that `linesPerRequest` has promised to the next request. */
  private linesOwed = 0
  /** Set once a cancel was accepted; counts the job reads answered since. */
  private cancellation: { jobReads: number } | undefined

  private readonly requestCounts: Record<FaultEndpoint, number> = {
    logs: 0,
    job: 0,
    cancel: 0,
    any: 0
  }
  private readonly faultUses: number[]

  constructor(scenario: JobScenario, startedAt: number, log?: LogSource) {
    this.scenario = scenario
    this.id = scenario.jobId
    this.log = log ?? openJobLog(scenario)
    this.offsetBase = scenario.offsetBase ?? 0
    this.apiKey = scenario.apiKey
    this.steps = scenario.timeline ?? DEFAULT_TIMELINE
    this.stepBeganAt = startedAt
    this.visible = this.linesVisibleIn(0)
    this.faultUses = (scenario.faults ?? []).map(() => 0)
  }

  /** The status the next read of the job object will show. */
  get status(): string {
    if (this.cancellation) {
      return this.cancellation.jobReads === 0 ? 'CANCELING' : 'CANCELED'
    }
    return this.currentStep().status
  }

  get visibleLines(): number {
    return this.visible
  }

  /**
   * Brings the job up to date with the clock and with the requests already
   * counted. Safe to call at any time: it only does now what the next
   * request's arrival would do anyway.
   */
  catchUp(now: number): void {
    this.visible = Math.min(this.log.length, this.visible + this.linesOwed)
    this.linesOwed = 0
    if (this.cancellation) return

    while (this.stepIndex + 1 < this.steps.length) {
      const next = this.steps[this.stepIndex + 1] as TimelineStep
      const after = next.after ?? { requests: 1 }
      const byRequests =
        after.requests !== undefined && this.requestsInStep >= after.requests
      const byTime =
        after.ms !== undefined && now - this.stepBeganAt >= after.ms
      if (!byRequests && !byTime) break

      this.stepIndex += 1
      // A step reached by the clock began when its time came, not when it was
      // noticed, so that later timed steps keep their spacing.
      this.stepBeganAt =
        byTime && !byRequests && after.ms !== undefined
          ? this.stepBeganAt + after.ms
          : now
      this.requestsInStep = 0
      this.visible = Math.max(this.visible, this.linesVisibleIn(this.stepIndex))
    }
  }

  /**
   * Takes in one request: updates the state it will see, counts it, and
   * returns the fault scripted for it, if any. `logsOffset` is the offset a
   * logs request asked for.
   */
  arrive(
    endpoint: JobEndpoint,
    now: number,
    logsOffset?: number
  ): FaultRule | undefined {
    this.catchUp(now)
    this.requestsInStep += 1
    this.requestCounts[endpoint] += 1
    this.requestCounts.any += 1

    const { linesPerRequest } = this.scenario
    if (endpoint === 'logs' && linesPerRequest && this.status === 'RUNNING') {
      this.linesOwed += linesPerRequest
    }
    return this.faultFor(endpoint, logsOffset)
  }

  /** Answers a job read; reads are what move a cancel along. */
  readJobObject(): JsonObject {
    const job = this.peekJobObject()
    if (this.cancellation) this.cancellation.jobReads += 1
    return job
  }

  /** Describes the job without counting as a read. */
  peekJobObject(): JsonObject {
    return jobObject(this.id, this.status, this.scenario.job)
  }

  /** Returns false when the job has already ended and cannot be canceled. */
  cancel(): boolean {
    if (isTerminal(this.status)) return false
    this.cancellation ??= { jobReads: 0 }
    return true
  }

  private currentStep(): TimelineStep {
    return this.steps[this.stepIndex] as TimelineStep
  }

  private linesVisibleIn(stepIndex: number): number {
    const step = this.steps[stepIndex] as TimelineStep
    const total = this.log.length
    if (step.visibleLines === undefined) {
      return stepIndex === this.steps.length - 1 ? total : this.visible
    }
    const count =
      step.visibleLines < 0 ? total + step.visibleLines : step.visibleLines
    return Math.max(0, Math.min(total, count))
  }

  private faultFor(
    endpoint: JobEndpoint,
    logsOffset: number | undefined
  ): FaultRule | undefined {
    const rules = this.scenario.faults ?? []
    for (const [index, rule] of rules.entries()) {
      const ruleEndpoint = rule.endpoint ?? 'any'
      if (ruleEndpoint !== 'any' && ruleEndpoint !== endpoint) continue

      const nth = this.requestCounts[ruleEndpoint]
      if (rule.nth !== undefined && nth !== rule.nth) continue
      if (nth < (rule.from ?? 1) || nth > (rule.to ?? Infinity)) continue
      if (rule.offset !== undefined && rule.offset !== logsOffset) continue

      const uses = this.faultUses[index] ?? 0
      if (rule.times !== undefined && uses >= rule.times) continue
      this.faultUses[index] = uses + 1
      return rule
    }
    return undefined
  }
}

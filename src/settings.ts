// Every input of the action is read and checked here, once, into one typed
// settings object. Nothing else reads inputs. A bad value stops the run
// before any request is sent, with a message that names the input, shows the
// value (never the key) and says what would be accepted.

import { shorten } from './shorten.js'

const REGION_BASE_URLS = {
  singapore: 'https://dashscope-intl.aliyuncs.com/api/v1',
  beijing: 'https://dashscope.aliyuncs.com/api/v1',
  virginia: 'https://dashscope-us.aliyuncs.com/api/v1',
  hongkong: 'https://cn-hongkong.dashscope.aliyuncs.com/api/v1'
} as const

export type Region = keyof typeof REGION_BASE_URLS

export interface Settings {
  jobId: string
  apiKey: string
  region: Region
  /** The API base the requests go to, without a trailing slash. */
  baseUrl: string
  /** Sent as `X-DashScope-WorkSpace` when set. */
  workspace?: string
  pollIntervalMs: number
  completionMarker: string
  requireMarker: boolean
  requestTimeoutMs: number
  timeoutMs: number
  cancelOnAbort: boolean
  maxTrainLoss?: number
  maxEvalLoss?: number
}

/** Reads one input by name; empty when the input was not given. */
export type InputReader = (name: string) => string

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? problems[0]
        : `${problems.length} inputs are invalid:\n- ${problems.join('\n- ')}`
    )
    this.name = 'SettingsError'
  }
}

// A job id is spliced into a URL path; anything that could change the path
// or the query (`/`, `?`, `#`, `..`, `%`, spaces) is refused outright, and the
// id is still percent-encoded when it is used.
const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/
const JOB_ID_EXAMPLE = 'ft-202410291653-1c7f'

// Keys are opaque tokens; whitespace or control characters inside one can
// only be a copy-paste accident, and would corrupt the Authorization header.
const API_KEY_PATTERN = /^[\x21-\x7e]{8,512}$/

// Digits with an optional point and exponent: `15`, `0.5`, `.5`, `1e-2`. No
// sign, hex, `Infinity` or spaces inside, which Number() would also take.
const PLAIN_NUMBER = /^[0-9]*\.?[0-9]+(e-?[0-9]+)?$/i

const WORKSPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])

function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname)
}

/** Shows a user's value in a message without letting it run on for pages. */
function quote(value: string): string {
  return JSON.stringify(shorten(value, 80))
}

interface NumberRule {
  unit: string
  min: number
  max: number
  example: string
}

export function readSettings(readInput: InputReader): Settings {
  const problems: string[] = []
  const input = (name: string): string => readInput(name).trim()

  function required(name: string, what: string): string {
    const value = input(name)
    if (value === '') problems.push(`Input '${name}' is required: ${what}.`)
    return value
  }

  function number(name: string, fallback: number, rule: NumberRule): number {
    const text = input(name)
    if (text === '') return fallback
    const value = Number(text)
    if (!PLAIN_NUMBER.test(text) || !(value >= rule.min && value <= rule.max)) {
      problems.push(
        `Input '${name}' is ${quote(text)}: expected a number of ` +
          `${rule.unit} from ${rule.min} to ${rule.max}, ` +
          `such as ${rule.example}.`
      )
      return fallback
    }
    return value
  }

  function optionalBar(name: string): number | undefined {
    const text = input(name)
    if (text === '') return undefined
    const value = Number(text)
    if (!PLAIN_NUMBER.test(text) || !isFinite(value)) {
      problems.push(
        `Input '${name}' is ${quote(text)}: expected a non-negative ` +
          `number such as 1.5, or nothing to skip this check.`
      )
      return undefined
    }
    return value
  }

  function boolean(name: string, fallback: boolean): boolean {
    const text = input(name)
    if (text === '') return fallback
    const lower = text.toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
    problems.push(`Input '${name}' is ${quote(text)}: expected true or false.`)
    return fallback
  }

  const jobId = required(
    'job-id',
    `the fine-tuning job id, such as ${JOB_ID_EXAMPLE}`
  )
  if (jobId !== '' && (!JOB_ID_PATTERN.test(jobId) || jobId.includes('..'))) {
    problems.push(
      `Input 'job-id' is ${quote(jobId)}: expected a job id such as ` +
        `${JOB_ID_EXAMPLE}: 1 to 128 letters, digits, '-', '_', '.' or ':', ` +
        `starting with a letter or digit, with no '..'.`
    )
  }

  // The key is never quoted back: a message about it only describes it.
  const apiKey = required('api-key', 'a DashScope API key (use a secret)')
  if (apiKey !== '' && !API_KEY_PATTERN.test(apiKey)) {
    problems.push(
      `Input 'api-key' is not a plausible DashScope key: expected 8 to 512 ` +
        `printable characters with no spaces or line breaks inside.`
    )
  }

  // The region is ignored, and so not checked, when base-url is given.
  const baseUrlText = input('base-url')
  const regionText = input('region').toLowerCase() || 'singapore'
  const regions = Object.keys(REGION_BASE_URLS)
  let region: Region = 'singapore'
  if (regions.includes(regionText)) {
    region = regionText as Region
  } else if (baseUrlText === '') {
    problems.push(
      `Input 'region' is ${quote(regionText)}: expected one of ` +
        `${regions.join(', ')}.`
    )
  }

  let baseUrl: string = REGION_BASE_URLS[region]
  if (baseUrlText !== '') {
    const checked = checkBaseUrl(baseUrlText)
    if (typeof checked === 'string') baseUrl = checked
    else problems.push(checked.problem)
  }

  const workspace = input('workspace') || undefined
  if (workspace !== undefined && !WORKSPACE_PATTERN.test(workspace)) {
    problems.push(
      `Input 'workspace' is ${quote(workspace)}: expected a workspace id ` +
        `such as llm-abc123 (letters, digits, '-', '_', '.'), or nothing ` +
        `for the default workspace.`
    )
  }

  const completionMarker = input('completion-marker') || '##FT_COMPLETE##'
  if (
    /[\x00-\x1f\x7f]/.test(completionMarker) ||
    completionMarker.length > 200
  ) {
    problems.push(
      `Input 'completion-marker' is ${quote(completionMarker)}: expected ` +
        `one line of at most 200 characters, such as ##FT_COMPLETE##.`
    )
  }

  const settings: Settings = {
    jobId,
    apiKey,
    region,
    baseUrl,
    workspace,
    pollIntervalMs:
      1000 *
      number('poll-interval', 15, {
        unit: 'seconds',
        min: 0.01,
        max: 3600,
        example: '15'
      }),
    completionMarker,
    requireMarker: boolean('require-marker', true),
    requestTimeoutMs:
      1000 *
      number('request-timeout', 30, {
        unit: 'seconds',
        min: 0.1,
        max: 600,
        example: '30'
      }),
    // Five days is the longest a self-hosted runner lets a job run.
    timeoutMs:
      60_000 *
      number('timeout', 340, {
        unit: 'minutes',
        min: 0.001,
        max: 7200,
        example: '340'
      }),
    cancelOnAbort: boolean('cancel-on-abort', false),
    maxTrainLoss: optionalBar('max-train-loss'),
    maxEvalLoss: optionalBar('max-eval-loss')
  }

  if (problems.length > 0) throw new SettingsError(problems)
  return settings
}

/**
 * Accepts an https URL, or plain http to a loopback host (the simulator and
 * tests). Returns the URL without a trailing slash, or the problem with it.
 */
function checkBaseUrl(text: string): string | { problem: string } {
  const accepted =
    'expected an https:// URL such as ' +
    `${REGION_BASE_URLS.singapore} (http:// only for 127.0.0.1, ` +
    'localhost or [::1]), with no user name, password, query or fragment'
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // Whatever stands before an '@' may be a password: it is not shown.
    const shown = text.replace(/\/\/[^/]*@/, '//***@')
    return { problem: `Input 'base-url' is ${quote(shown)}: ${accepted}.` }
  }
  const secure =
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && isLoopbackHost(url.hostname))
  if (
    !secure ||
    url.username !== '' ||
    url.password !== '' ||
    url.port === '0' ||
    url.search !== '' ||
    url.hash !== '' ||
    text.includes('?') ||
    text.includes('#')
  ) {
    // The URL is shown without its user info, which may hold a password.
    url.username = ''
    url.password = ''
    return {
      problem: `Input 'base-url' is ${quote(url.href)}: ${accepted}.`
    }
  }
  return url.href.replace(/\/+$/, '')
}

/** Logs every setting at debug level, the key excepted. */
export function describeSettings(settings: Settings): string[] {
  return Object.entries(settings)
    .filter(([name]) => name !== 'apiKey')
    .map(([name, value]) => `${name} = ${JSON.stringify(value)}`)
}

// The DashScope fine-tuning endpoints the action uses, with the retry loop
// that rides out throttling, gateway pages, resets and stalls.
//
// `@actions/http-client` supplies the agent (keep-alive, proxy settings) and
// sends the request, but this file owns everything around it: the client's
// own retries and redirects would repeat requests we cannot see and could
// carry the key to another host, and its body reader never gives up on a
// stalled answer. So each request here is one raw attempt with its own
// deadline, the key is set per request, and redirects are errors.

import * as http from 'node:http'
import * as https from 'node:https'
import { HttpClient } from '@actions/http-client'
import type { RequestInfo } from '@actions/http-client/lib/interfaces'
import {
  ApiError,
  describeAnswer,
  isPermanentNetworkError,
  isTransientAnswer,
  TransientFault,
  type ErrorAnswer
} from './api-errors.js'
import { backoffDelay, parseRetryAfter, type BackoffPolicy } from './backoff.js'
import { formatDuration, type Clock } from './clock.js'
import { shorten } from './shorten.js'

export interface LogPage {
  /** How many lines the job's log holds now. */
  total: number
  logs: string[]
}

export interface JobState {
  status: string
  finetunedOutput?: string
  usage?: number
}

export interface ClientOptions {
  baseUrl: string
  apiKey: string
  workspace?: string
  jobId: string
  requestTimeoutMs: number
  clock: Clock
  /** Aborted when the run is cancelled: stops waits and open requests. */
  signal: AbortSignal
  /** The moment (on `clock`'s scale) when the whole run gives up. */
  deadline: number
  backoff: BackoffPolicy
  /** Where retries are reported for the user. */
  log: (message: string) => void
}

/** The run was cancelled while a request or a wait was under way. */
export class RunAborted extends Error {
  constructor() {
    super('The run was cancelled.')
    this.name = 'RunAborted'
  }
}

/** The overall timeout passed while a request was still being retried. */
export class DeadlineReached extends Error {
  constructor(readonly lastFault?: string) {
    super('The overall timeout passed.')
    this.name = 'DeadlineReached'
  }
}

// Far more than any page of 1000 lines should need; a larger answer is
// broken, and reading it whole could exhaust the runner's memory.
const MAX_BODY_BYTES = 64 * 1024 * 1024

const USER_AGENT = 'dashscope-fine-tune-gate'

interface RawAnswer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

export class DashScopeClient {
  /** Requests sent, retries included. */
  requestCount = 0
  /** Requests repeated after a transient fault. */
  retryCount = 0

  private readonly http = new HttpClient(USER_AGENT, [], {
    keepAlive: true,
    allowRedirects: false,
    allowRetries: false
  })
  private readonly jobPath: string
  private readonly keyForms: string[]

  constructor(private readonly options: ClientOptions) {
    this.jobPath = `/fine-tunes/${encodeURIComponent(options.jobId)}`
    const escaped = JSON.stringify(options.apiKey).slice(1, -1)
    this.keyForms = [...new Set([options.apiKey, escaped])]
  }

  async readLogPage(offset: number, line: number): Promise<LogPage> {
    return this.call(
      'GET',
      `${this.jobPath}/logs?offset=${offset}&line=${line}`,
      `reading the log of job ${this.options.jobId} from line ${offset + 1}`,
      (output, body) => this.readPage(output, body, offset, line)
    )
  }

  async readJob(): Promise<JobState> {
    return this.call(
      'GET',
      this.jobPath,
      `reading the status of job ${this.options.jobId}`,
      output => {
        if (typeof output.status !== 'string') {
          throw new TransientFault('a job answer without output.status')
        }
        return {
          // A status is printed and compared; anything but a short plain
          // word is shown with its odd characters replaced, and is then an
          // unknown status, which the verdict treats as a failure.
          status: this.redact(output.status)
            .slice(0, 64)
            .replace(/[^A-Za-z0-9_.-]/g, '?'),
          finetunedOutput: this.remoteWord(output.finetuned_output),
          usage: typeof output.usage === 'number' ? output.usage : undefined
        }
      }
    )
  }

  /**
   * Checks a page against what was asked. A server that sends more lines
   * than asked, or more than its own total allows after the offset, is not
   * paging as documented: taking such a page could print lines twice.
   */
  private readPage(
    output: Record<string, unknown>,
    body: string,
    offset: number,
    line: number
  ): LogPage {
    const { total, logs } = output
    if (
      typeof total !== 'number' ||
      !Number.isSafeInteger(total) ||
      total < 0 ||
      !Array.isArray(logs)
    ) {
      throw new TransientFault(
        'a logs answer without a whole output.total and an output.logs list'
      )
    }
    if (
      logs.length > line ||
      (logs.length > 0 && offset + logs.length > total)
    ) {
      throw new TransientFault(
        `a page of ${logs.length} lines from line ${offset + 1} of a log ` +
          `of ${total}, which does not fit the request`
      )
    }
    // Redacted here, before anything else sees a line: the echo, the
    // metrics, the failure message and the summary all get clean text. A
    // body without the key and without any JSON escape cannot decode to
    // a line that holds it, so the usual page skips the per-line search.
    const mayHoldKey = body.includes('\\') || body.includes(this.options.apiKey)
    return {
      total,
      logs: logs.map(entry => {
        const text = typeof entry === 'string' ? entry : JSON.stringify(entry)
        return mayHoldKey ? this.redact(text) : text
      })
    }
  }

  /**
   * Asks DashScope to cancel the job: one attempt, bounded by `timeoutMs`,
   * and independent of the run's signal, which is already aborted when this
   * is called on cancellation.
   */
  async cancelJob(timeoutMs: number): Promise<void> {
    const answer = await this.send(
      'POST',
      `${this.jobPath}/cancel`,
      AbortSignal.timeout(timeoutMs)
    )
    this.interpret(answer, `cancelling job ${this.options.jobId}`)
  }

  /** Closes kept-alive connections so the process can exit. */
  dispose(): void {
    this.http.dispose()
  }

  /**
   * Removes the key from text the server sent, should it echo it back, as
   * written or as it appears inside a JSON string.
   */
  private redact(text: string): string {
    let clean = text
    for (const form of this.keyForms) {
      if (clean.includes(form)) clean = clean.split(form).join('***')
    }
    return clean
  }

  /**
   * Sends a request until it gets an answer that is not transient, waiting
   * between tries. The same request is repeated as it was, so a retried log
   * page asks for the same offset: no line is skipped or read twice.
   */
  private async call<T>(
    method: string,
    path: string,
    operation: string,
    readOutput: (output: Record<string, unknown>, body: string) => T
  ): Promise<T> {
    const { clock, signal, deadline, requestTimeoutMs } = this.options
    let lastFault: string | undefined

    for (let attempt = 1; ; attempt++) {
      const timeLeft = deadline - clock.now()
      if (signal.aborted) throw new RunAborted()
      if (timeLeft <= 0) throw new DeadlineReached(lastFault)

      const cutByDeadline = timeLeft < requestTimeoutMs
      try {
        const answer = await this.attempt(
          method,
          path,
          Math.min(requestTimeoutMs, timeLeft)
        )
        const output = this.interpret(answer, operation)
        return readAnswer(() =>
          readOutput(output as Record<string, unknown>, answer.body)
        )
      } catch (error) {
        if (!(error instanceof TransientFault)) throw error
        // A try that the overall timeout cut short says nothing about the
        // server; the fault worth reporting is the one before it.
        if (cutByDeadline && error.timedOut) {
          throw new DeadlineReached(lastFault ?? error.message)
        }
        lastFault = error.message
        const wait = Math.max(
          error.retryAfterMs ?? 0,
          backoffDelay(this.options.backoff, attempt)
        )
        // Waiting past the timeout would only postpone the same verdict.
        if (clock.now() + wait >= deadline) {
          throw new DeadlineReached(
            `${lastFault}, and the next try would have been due in ` +
              `${formatDuration(wait)}, past the timeout`
          )
        }
        this.options.log(
          `Try ${attempt} at ${operation} failed: ${error.message}. ` +
            `Trying again in ${formatDuration(wait)}.`
        )
        this.retryCount++
        await clock.sleep(wait, signal)
      }
    }
  }

  /** One request with its own deadline; network failures become faults. */
  private async attempt(
    method: string,
    path: string,
    timeoutMs: number
  ): Promise<RawAnswer> {
    // One controller per try, aborted by the run's cancel or the try's
    // own deadline. (AbortSignal.any would tie every try's signal to the
    // run's long-lived one, and Node 20 keeps those alive.)
    const controller = new AbortController()
    const cancel = (): void => controller.abort()
    this.options.signal.addEventListener('abort', cancel, { once: true })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort()
    }, Math.ceil(timeoutMs))
    try {
      return await this.send(method, path, controller.signal)
    } catch (error) {
      if (this.options.signal.aborted) throw new RunAborted()
      if (timedOut) {
        throw new TransientFault(
          `no complete answer within ${formatDuration(timeoutMs)}`,
          undefined,
          true
        )
      }
      if (isPermanentNetworkError(error)) {
        throw new Error(
          `Could not reach ${this.options.baseUrl}: ${describeError(error)}. ` +
            "Check 'base-url' or 'region'.",
          { cause: error }
        )
      }
      throw new TransientFault(
        `the connection failed (${describeError(error)})`
      )
    } finally {
      clearTimeout(timer)
      this.options.signal.removeEventListener('abort', cancel)
    }
  }

  private async send(
    method: string,
    path: string,
    signal: AbortSignal
  ): Promise<RawAnswer> {
    const url = new URL(this.options.baseUrl + path)
    const headers: http.OutgoingHttpHeaders = {
      accept: 'application/json',
      'user-agent': USER_AGENT,
      // Sent on this request only, to the configured host only: redirects
      // are never followed, so the key cannot travel anywhere else.
      authorization: `Bearer ${this.options.apiKey}`
    }
    if (this.options.workspace) {
      headers['x-dashscope-workspace'] = this.options.workspace
    }
    if (method === 'POST') headers['content-length'] = '0'
    const info: RequestInfo = {
      parsedUrl: url,
      httpModule: url.protocol === 'https:' ? https : http,
      options: {
        method,
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path: url.pathname + url.search,
        headers,
        agent: this.http.getAgent(url.href),
        signal
      }
    }
    this.requestCount++
    const response = await this.http.requestRaw(info, null)
    const body = await readBody(response.message, signal)
    return {
      status: response.message.statusCode ?? 0,
      headers: response.message.headers,
      body
    }
  }

  /**
   * Turns an answer into the envelope's `output`, a transient fault, or a
   * permanent ApiError.
   */
  private interpret(answer: RawAnswer, operation: string): unknown {
    const parsed = parseJson(answer.body)
    const envelope =
      parsed !== null && typeof parsed === 'object'
        ? (parsed as Record<string, unknown>)
        : undefined

    if (answer.status === 200) {
      if (envelope && envelope.output && typeof envelope.output === 'object') {
        return envelope.output
      }
      throw new TransientFault(
        `HTTP 200 with ${describeBody(answer, parsed)} instead of the API's JSON`
      )
    }

    const errorAnswer: ErrorAnswer = {
      httpStatus: answer.status,
      code: this.remoteWord(envelope?.code),
      message: this.remoteText(envelope?.message),
      requestId: this.remoteWord(envelope?.request_id)
    }
    if (isTransientAnswer(errorAnswer)) {
      const what = envelope?.code
        ? describeAnswer(errorAnswer)
        : `HTTP ${answer.status} with ${describeBody(answer, parsed)}`
      throw new TransientFault(
        what,
        parseRetryAfter(answer.headers['retry-after'], Date.now())
      )
    }
    if (answer.status >= 300 && answer.status < 400) {
      throw new Error(
        `DashScope answered HTTP ${answer.status} (a redirect) when ` +
          `${operation}; redirects are not followed, so that the key ` +
          "is only sent to the configured host. Check 'base-url'."
      )
    }
    throw new ApiError(errorAnswer, operation)
  }

  /**
   * A code or request id from the server: kept only when it looks like one,
   * so that it cannot smuggle anything into the log.
   */
  private remoteWord(value: unknown): string | undefined {
    if (typeof value !== 'string') return undefined
    const word = this.redact(value)
    return /^[A-Za-z0-9._:/@+-]{1,256}$/.test(word) ? word : undefined
  }

  /** A free-text message from the server, flattened and shortened. */
  private remoteText(value: unknown): string | undefined {
    if (typeof value !== 'string' || value.trim() === '') return undefined
    const flat = this.redact(value)
      .replace(/[\x00-\x1f\x7f]+/g, ' ')
      .trim()
    return shorten(flat, 300)
  }
}

/**
 * Runs an endpoint's reader on an answer's output. Any surprise in the
 * output (a missing field, a value too deep to print) is a malformed answer,
 * worth another try like a gateway's error page, not a crash.
 */
function readAnswer<T>(read: () => T): T {
  try {
    return read()
  } catch (error) {
    if (error instanceof TransientFault) throw error
    throw new TransientFault(
      `an answer that could not be read (${describeError(error)})`
    )
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Names a body without showing it: gateway pages are noise in a log. */
function describeBody(answer: RawAnswer, parsed: unknown): string {
  if (answer.body.length === 0) return 'an empty body'
  const type = String(answer.headers['content-type'] ?? '')
  if (/html/i.test(type) || /^\s*</.test(answer.body)) return 'an HTML page'
  if (parsed === undefined) {
    return `a body that is not JSON (${answer.body.length} bytes)`
  }
  return 'unexpected JSON'
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? error.message : String(error)
  return typeof code === 'string' && !message.includes(code)
    ? `${code}: ${message}`
    : message
}

/**
 * Reads a whole answer body. Unlike the http-client's reader, this one fails
 * when the connection closes early or the request is aborted, instead of
 * waiting forever.
 */
function readBody(
  message: http.IncomingMessage,
  signal: AbortSignal
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const fail = (error: Error): void => {
      message.destroy()
      reject(error)
    }
    if (signal.aborted) {
      fail(new Error('aborted'))
      return
    }
    // Removed once the answer is over: a listener left on the signal keeps
    // this closure, and with it the whole body, alive until the request's
    // timeout fires.
    const onAbort = (): void => fail(new Error('aborted'))
    signal.addEventListener('abort', onAbort, { once: true })
    message.once('close', () => signal.removeEventListener('abort', onAbort))
    message.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        fail(new Error(`an answer of over ${MAX_BODY_BYTES} bytes`))
      } else {
        chunks.push(chunk)
      }
    })
    message.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    message.on('error', reject)
    message.on('close', () => {
      if (!message.complete) {
        reject(new Error('the connection closed in the middle of the answer'))
      }
    })
  })
}

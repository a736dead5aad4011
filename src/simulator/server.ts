// A stand-in for the DashScope fine-tuning endpoints: a real HTTP server on
// the loopback interface, so that the client under test goes through its
// whole network stack (keep-alive, timeouts, resets, refused connections).

import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import {
  answerCancel,
  answerJob,
  answerList,
  answerLogs,
  requestedOffset
} from './endpoints.js'
import { errorAnswer, notFound, type Answer } from './envelopes.js'
import { deliveryFor, type Delivery } from './faults.js'
import {
  parseScenario,
  type FaultRule,
  type JobScenario,
  type Scenario
} from './scenario.js'
import { SimulatedJob, type JobEndpoint } from './simulated-job.js'

const API_PREFIX = '/api/v1'
const FINE_TUNES_PATH = `${API_PREFIX}/fine-tunes`

export type RecordedEndpoint = JobEndpoint | 'list' | 'unknown'

export interface RecordedRequest {
  method: string
  /** The path without the query string. */
  path: string
  query: Record<string, string>
  endpoint: RecordedEndpoint
  /** The job the path names, known to the scenario or not. */
  jobId?: string
  /** Milliseconds since the simulator started, by its clock. */
  at: number
  authorization?: string
  /** The kind of fault applied to this request, if any. */
  fault?: string
  /** The HTTP status sent or being sent; absent when the socket was dropped. */
  status?: number
}

export interface SimulatorOptions {
  /** Default 0: any free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** The clock for timed steps and `at`, in ms. Default: performance.now. */
  now?: () => number
  /** Told of each request once the simulator has decided how to answer. */
  onRequest?: (request: RecordedRequest) => void
}

export interface Simulator {
  /** Like `http://127.0.0.1:43123`, with the API at `/api/v1` below it. */
  url: string
  port: number
  /** Every request, in order of arrival. */
  requests: RecordedRequest[]
  /** Stops listening and destroys every open connection, stalled or idle. */
  close(): Promise<void>
}

interface Route {
  endpoint: RecordedEndpoint
  jobId?: string
}

function routeOf(method: string, path: string): Route {
  if (path === FINE_TUNES_PATH) {
    return { endpoint: method === 'GET' ? 'list' : 'unknown' }
  }
  if (!path.startsWith(`${FINE_TUNES_PATH}/`)) return { endpoint: 'unknown' }

  const [rawJobId = '', action, ...rest] = path
    .slice(FINE_TUNES_PATH.length + 1)
    .split('/')
  let jobId: string
  try {
    jobId = decodeURIComponent(rawJobId)
  } catch {
    return { endpoint: 'unknown' }
  }
  if (jobId === '' || rest.length > 0) return { endpoint: 'unknown' }

  if (action === undefined && method === 'GET')
    return { endpoint: 'job', jobId }
  if (action === 'logs' && method === 'GET') return { endpoint: 'logs', jobId }
  if (action === 'cancel' && method === 'POST') {
    return { endpoint: 'cancel', jobId }
  }
  return { endpoint: 'unknown', jobId }
}

function bearerKey(authorization: string | undefined): string | undefined {
  if (!authorization?.startsWith('Bearer ')) return undefined
  const key = authorization.slice('Bearer '.length)
  return key.trim() === '' ? undefined : key
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function isJobEndpoint(endpoint: RecordedEndpoint): endpoint is JobEndpoint {
  return endpoint === 'logs' || endpoint === 'job' || endpoint === 'cancel'
}

function statusOf(delivery: Delivery): number | undefined {
  switch (delivery.way) {
    case 'answer':
    case 'truncate':
      return delivery.answer.status
    case 'stall':
      return delivery.status
    case 'reset':
    case 'offline':
      return undefined
  }
}

export async function startSimulator(
  scenario: Scenario | JobScenario,
  options: SimulatorOptions = {}
): Promise<Simulator> {
  const { jobs: jobScenarios } = parseScenario(scenario)
  const now = options.now ?? (() => performance.now())
  const host = options.host ?? '127.0.0.1'
  const startedAt = now()

  const jobs = new Map(
    jobScenarios.map(job => [job.jobId, new SimulatedJob(job, startedAt)])
  )
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  let offline = false
  let closing: Promise<void> | undefined

  function later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer)
      action()
    }, ms)
    timers.add(timer)
  }

  function destroyAllSockets(): void {
    for (const socket of sockets) socket.destroy()
  }

  function isAuthorized(authorization: string | undefined, job?: SimulatedJob) {
    const key = bearerKey(authorization)
    if (key === undefined) return false
    if (job) return job.apiKey === undefined || key === job.apiKey

    // A request that names no known job is let in by any job's key, or by
    // any key at all when some job accepts any.
    return [...jobs.values()].some(
      other => other.apiKey === undefined || other.apiKey === key
    )
  }

  function normalAnswer(
    route: Route,
    job: SimulatedJob | undefined,
    query: Record<string, string>,
    authorization: string | undefined
  ): Answer {
    if (!isAuthorized(authorization, job)) {
      return errorAnswer(401, 'InvalidApiKey')
    }
    if (route.endpoint === 'list') {
      return answerList([...jobs.values()], query)
    }
    if (!job || !isJobEndpoint(route.endpoint)) return notFound()
    switch (route.endpoint) {
      case 'logs':
        return answerLogs(job, query)
      case 'job':
        return answerJob(job)
      case 'cancel':
        return answerCancel(job)
    }
  }

  function send(response: ServerResponse, answer: Answer): void {
    // The client may have given up while a delayed answer was pending.
    if (response.destroyed || response.writableEnded) return
    const body = Buffer.from(answer.body)
    response.writeHead(answer.status, {
      ...answer.headers,
      'content-length': String(body.length)
    })
    response.end(body)
  }

  function goOffline(ms: number): void {
    if (offline || closing) return
    offline = true
    // Closing the listening socket is what makes new connections fail with
    // ECONNREFUSED; open connections would otherwise keep being served.
    server.close()
    destroyAllSockets()
    later(ms, () => {
      server.listen(port, host, () => {
        offline = false
      })
    })
  }

  function deliver(
    delivery: Delivery,
    request: IncomingMessage,
    response: ServerResponse
  ): void {
    switch (delivery.way) {
      case 'answer': {
        const { answer, delayMs } = delivery
        if (delayMs === undefined) send(response, answer)
        else later(delayMs, () => send(response, answer))
        return
      }
      case 'stall':
        response.writeHead(delivery.status, delivery.headers)
        response.flushHeaders()
        if (delivery.partialBody) response.write(delivery.partialBody)
        return
      case 'truncate': {
        const body = Buffer.from(delivery.answer.body)
        const part = body.subarray(0, delivery.bytes)
        const announced = delivery.cutConnection ? body.length : part.length
        response.writeHead(delivery.answer.status, {
          ...delivery.answer.headers,
          'content-length': String(announced)
        })
        if (delivery.cutConnection) {
          response.write(part, () => request.socket.destroy())
        } else {
          response.end(part)
        }
        return
      }
      case 'reset':
        request.socket.destroy()
        return
      case 'offline':
        request.socket.destroy()
        goOffline(delivery.ms)
        return
    }
  }

  function handle(request: IncomingMessage, response: ServerResponse): void {
    // A request body is never used, but it must be read for the connection
    // to be reusable by the next request.
    request.resume()

    const method = request.method ?? 'GET'
    const url = new URL(request.url ?? '/', 'http://simulator')
    const query = Object.fromEntries(url.searchParams)
    const route = routeOf(method, url.pathname)
    const authorization = request.headers.authorization
    const arrivedAt = now()
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query,
      endpoint: route.endpoint,
      at: arrivedAt - startedAt
    }
    if (route.jobId !== undefined) record.jobId = route.jobId
    if (authorization !== undefined) record.authorization = authorization
    requests.push(record)

    const job = route.jobId === undefined ? undefined : jobs.get(route.jobId)
    let rule: FaultRule | undefined
    if (job && isJobEndpoint(route.endpoint)) {
      const offset =
        route.endpoint === 'logs'
          ? requestedOffset(query, job.offsetBase)
          : undefined
      rule = job.arrive(route.endpoint, arrivedAt, offset)
    } else if (route.endpoint === 'list') {
      for (const listed of jobs.values()) listed.catchUp(arrivedAt)
    }

    const answerNormally = () => normalAnswer(route, job, query, authorization)
    const delivery: Delivery = rule
      ? deliveryFor(rule.fault, {
          normalAnswer: answerNormally,
          clientKey: bearerKey(authorization) ?? ''
        })
      : { way: 'answer', answer: answerNormally() }

    if (rule) record.fault = rule.fault.kind
    const status = statusOf(delivery)
    if (status !== undefined) record.status = status
    options.onRequest?.(record)
    deliver(delivery, request, response)
  }

  const server = createServer(handle)
  server.on('connection', socket => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  await listen(server, options.port ?? 0, host)
  const port = (server.address() as AddressInfo).port
  // After the first listen, errors can only come from coming back online
  // after an `offline` fault, e.g. if another process took the port.
  server.on('error', error => {
    process.emitWarning(
      `The DashScope simulator could not listen on port ${port} again: ` +
        error.message
    )
  })

  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests,
    close() {
      closing ??= new Promise<void>(resolve => {
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
        if (offline) {
          resolve()
        } else {
          server.close(() => resolve())
        }
        destroyAllSockets()
      })
      return closing
    }
  }
}

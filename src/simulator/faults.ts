// Scripted misbehaviour: the answers a client of the real service has to
// survive (throttling, gateway pages, stalls, cut bodies, resets, outages).
// Each kind is declared here once: its shape, how a scenario file spells it,
// and what it does to the answer. The server only carries out the resulting
// delivery, so a new kind that reuses a delivery needs no change elsewhere.

import {
  errorAnswer,
  JSON_CONTENT_TYPE,
  newRequestId,
  type Answer
} from './envelopes.js'
import {
  optionalField,
  readBoolean,
  readHeaders,
  readInteger,
  readObject,
  readOneOf,
  readString,
  ScenarioError,
  type JsonObject
} from './json-fields.js'

export interface RespondFault {
  kind: 'respond'
  status: number
  /** An object is sent as JSON; a string as is (a gateway's HTML page). */
  body?: string | JsonObject | unknown[]
  headers?: Record<string, string>
}

export interface ErrorFault {
  kind: 'error'
  status: number
  code: string
  /** Defaults to the API reference's typical message for the code. */
  message?: string
  headers?: Record<string, string>
}

export interface DelayFault {
  kind: 'delay'
  ms: number
}

export interface StallAfterHeadersFault {
  kind: 'stall-after-headers'
  /** Defaults to 200. */
  status?: number
  headers?: Record<string, string>
  /** Sent after the headers, before the stall. */
  partialBody?: string
}

export interface TruncatedBodyFault {
  kind: 'truncated-body'
  /** How many bytes of the real answer to send; defaults to half. */
  bytes?: number
  /**
   * false (default): the cut body is all that is announced and sent, so the
   * response ends cleanly and the client is left with JSON it cannot parse.
   * true: the full length is announced and the connection is dropped after
   * the cut, as when a proxy dies mid-transfer.
   */
  cutConnection?: boolean
}

export interface ResetFault {
  kind: 'reset'
}

export interface OfflineFault {
  kind: 'offline'
  ms: number
}

export type Fault =
  | RespondFault
  | ErrorFault
  | DelayFault
  | StallAfterHeadersFault
  | TruncatedBodyFault
  | ResetFault
  | OfflineFault

export type FaultKind = Fault['kind']

/** How the server puts a (possibly faulty) answer on the wire. */
export type Delivery =
  | { way: 'answer'; answer: Answer; delayMs?: number }
  | {
      way: 'stall'
      status: number
      headers: Record<string, string>
      partialBody?: string
    }
  | { way: 'truncate'; answer: Answer; bytes: number; cutConnection: boolean }
  | { way: 'reset' }
  | { way: 'offline'; ms: number }

export interface FaultContext {
  /** The answer the request would get without the fault, computed now. */
  normalAnswer(): Answer
  /** The key from the request's `Authorization: Bearer` header, or ''. */
  clientKey: string
}

interface FaultKindDefinition<F extends Fault> {
  fields: readonly string[]
  parse(object: JsonObject, where: string): F
  deliver(fault: F, context: FaultContext): Delivery
}

type FaultKindTable = {
  [K in FaultKind]: FaultKindDefinition<Extract<Fault, { kind: K }>>
}

function readStatus(value: unknown, where: string): number {
  return readInteger(value, where, { min: 100, max: 599 })
}

function readMs(value: unknown, where: string): number {
  return readInteger(value, where, { min: 0 })
}

function readBody(value: unknown, where: string): RespondFault['body'] {
  if (typeof value === 'string' || (typeof value === 'object' && value)) {
    return value as RespondFault['body']
  }
  throw new ScenarioError(`${where} must be a string, an object or an array`)
}

/**
 * Fills `{{apiKey}}` (to check that a client never repeats the key it sent)
 * and `{{requestId}}` into a body's text, or into every string of a body
 * object.
 */
function fillPlaceholders(
  body: unknown,
  apiKey: string,
  requestId: string
): unknown {
  if (typeof body === 'string') {
    return body
      .replaceAll('{{apiKey}}', apiKey)
      .replaceAll('{{requestId}}', requestId)
  }
  if (Array.isArray(body)) {
    return body.map(item => fillPlaceholders(item, apiKey, requestId))
  }
  if (typeof body === 'object' && body !== null) {
    return Object.fromEntries(
      Object.entries(body).map(([key, value]) => [
        key,
        fillPlaceholders(value, apiKey, requestId)
      ])
    )
  }
  return body
}

const FAULT_KINDS: FaultKindTable = {
  respond: {
    fields: ['kind', 'status', 'body', 'headers'],
    parse: (object, where) => ({
      kind: 'respond',
      status: readStatus(object.status, `${where}.status`),
      body: optionalField(object, 'body', where, readBody),
      headers: optionalField(object, 'headers', where, readHeaders)
    }),
    deliver(fault, { clientKey }) {
      const body = fillPlaceholders(fault.body ?? '', clientKey, newRequestId())
      const isText = typeof body === 'string'
      const contentType = isText ? 'text/html;charset=utf-8' : JSON_CONTENT_TYPE
      return {
        way: 'answer',
        answer: {
          status: fault.status,
          headers: { 'content-type': contentType, ...fault.headers },
          body: isText ? body : JSON.stringify(body)
        }
      }
    }
  },

  error: {
    fields: ['kind', 'status', 'code', 'message', 'headers'],
    parse: (object, where) => ({
      kind: 'error',
      status: readStatus(object.status, `${where}.status`),
      code: readString(object.code, `${where}.code`, { nonEmpty: true }),
      message: optionalField(object, 'message', where, readString),
      headers: optionalField(object, 'headers', where, readHeaders)
    }),
    deliver: fault => ({
      way: 'answer',
      answer: errorAnswer(
        fault.status,
        fault.code,
        fault.message,
        fault.headers
      )
    })
  },

  delay: {
    fields: ['kind', 'ms'],
    parse: (object, where) => ({
      kind: 'delay',
      ms: readMs(object.ms, `${where}.ms`)
    }),
    deliver: (fault, { normalAnswer }) => ({
      way: 'answer',
      answer: normalAnswer(),
      delayMs: fault.ms
    })
  },

  'stall-after-headers': {
    fields: ['kind', 'status', 'headers', 'partialBody'],
    parse: (object, where) => ({
      kind: 'stall-after-headers',
      status: optionalField(object, 'status', where, readStatus),
      headers: optionalField(object, 'headers', where, readHeaders),
      partialBody: optionalField(object, 'partialBody', where, readString)
    }),
    deliver: fault => ({
      way: 'stall',
      status: fault.status ?? 200,
      headers: { 'content-type': JSON_CONTENT_TYPE, ...fault.headers },
      partialBody: fault.partialBody
    })
  },

  'truncated-body': {
    fields: ['kind', 'bytes', 'cutConnection'],
    parse: (object, where) => ({
      kind: 'truncated-body',
      bytes: optionalField(object, 'bytes', where, (value, at) =>
        readInteger(value, at, { min: 0 })
      ),
      cutConnection: optionalField(object, 'cutConnection', where, readBoolean)
    }),
    deliver(fault, { normalAnswer }) {
      const answer = normalAnswer()
      const fullLength = Buffer.byteLength(answer.body)
      return {
        way: 'truncate',
        answer,
        bytes: Math.min(fault.bytes ?? Math.floor(fullLength / 2), fullLength),
        cutConnection: fault.cutConnection ?? false
      }
    }
  },

  reset: {
    fields: ['kind'],
    parse: () => ({ kind: 'reset' }),
    deliver: () => ({ way: 'reset' })
  },

  offline: {
    fields: ['kind', 'ms'],
    parse: (object, where) => ({
      kind: 'offline',
      ms: readMs(object.ms, `${where}.ms`)
    }),
    deliver: fault => ({ way: 'offline', ms: fault.ms })
  }
}

const FAULT_KIND_NAMES = Object.keys(FAULT_KINDS) as FaultKind[]

export function parseFault(value: unknown, where: string): Fault {
  const kind = readOneOf(
    readObject(value, where).kind,
    `${where}.kind`,
    FAULT_KIND_NAMES
  )
  const definition = FAULT_KINDS[kind] as FaultKindDefinition<Fault>
  const object = readObject(value, where, definition.fields)
  return definition.parse(object, where)
}

export function deliveryFor(fault: Fault, context: FaultContext): Delivery {
  const definition = FAULT_KINDS[fault.kind] as FaultKindDefinition<Fault>
  return definition.deliver(fault, context)
}

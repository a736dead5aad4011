// The bodies DashScope wraps every answer in, and the HTTP answer the
// simulator sends. Successes are `{"request_id", "output"}`; errors are
// exactly `{"code", "message", "request_id"}` with no `output`.

import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'

/** One HTTP answer, fully computed before any byte of it is sent. */
export interface Answer {
  status: number
  headers: Record<string, string>
  body: string
}

export const JSON_CONTENT_TYPE = 'application/json;charset=UTF-8'

export function newRequestId(): string {
  return randomUUID()
}

function jsonAnswer(
  status: number,
  body: string,
  headers: Record<string, string> = {}
): Answer {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...headers },
    body
  }
}

/** A success whose `output` is given as ready-made JSON text. */
export function successWithOutputJson(outputJson: string): Answer {
  const requestId = JSON.stringify(newRequestId())
  return jsonAnswer(200, `{"request_id":${requestId},"output":${outputJson}}`)
}

export function success(output: unknown): Answer {
  return successWithOutputJson(JSON.stringify(output))
}

// The typical messages of the API reference's error table. Codes form dotted
// families (`Throttling.RateQuota` is a `Throttling`), so a code missing here
// falls back to its family's message.
const MESSAGES_BY_CODE: Record<string, string> = {
  InvalidParameter: 'Missing training files',
  UnsupportedOperation:
    'The operation is not supported in the current state of the job.',
  Arrearage: 'Access denied, the account is not in good standing.',
  InvalidApiKey: 'Invalid API-key provided.',
  AccessDenied: 'Access denied.',
  'Workspace.AccessDenied': 'Access denied.',
  NotFound: 'Not Found!',
  WorkSpaceNotFound: 'Not Found!',
  RequestTimeOut: 'Request timed out, please try again later.',
  Conflict: 'The name is already in use.',
  Throttling: 'Requests rate limit exceeded, please try again later.',
  InternalError: 'Internal server error!',
  SystemError: 'Internal server error!'
}

function defaultMessage(code: string, status: number): string {
  const family = code.split('.')[0] ?? code
  return (
    MESSAGES_BY_CODE[code] ??
    MESSAGES_BY_CODE[family] ??
    STATUS_CODES[status] ??
    'Unknown error.'
  )
}

export function errorAnswer(
  status: number,
  code: string,
  message: string = defaultMessage(code, status),
  headers: Record<string, string> = {}
): Answer {
  const body = JSON.stringify({ code, message, request_id: newRequestId() })
  return jsonAnswer(status, body, headers)
}

export function notFound(): Answer {
  return errorAnswer(404, 'NotFound')
}

export function invalidParameter(message: string): Answer {
  return errorAnswer(400, 'InvalidParameter', message)
}

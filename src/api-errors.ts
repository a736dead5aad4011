// What can go wrong when talking to DashScope, sorted into the two kinds the
// retry loop cares about: faults worth another try, and answers that will not
// change however often the request is repeated.

/** What DashScope said in an error answer, as far as it said anything. */
export interface ErrorAnswer {
  httpStatus: number
  code?: string
  message?: string
  requestId?: string
}

// Codes are dotted families (`Throttling.RateQuota` is a `Throttling`), so a
// code is matched on its first segment as well as whole.
const TRANSIENT_CODES = new Set([
  'Throttling',
  'RequestTimeOut',
  'InternalError',
  'SystemError'
])

const HINTS: Record<string, string> = {
  InvalidApiKey:
    "Check that 'api-key' holds a valid key and that 'region' (or " +
    "'base-url') is the region the key was created in: keys work in one " +
    'region only.',
  NotFound:
    "Check that 'job-id' is right and that the job was created in the " +
    "region set by 'region' (or 'base-url').",
  WorkSpaceNotFound:
    "Check 'workspace': the workspace does not exist for this key.",
  AccessDenied:
    'The key may not read this job: check its permissions and ' +
    "'workspace'.",
  Arrearage:
    'The Alibaba Cloud account is not in good standing: settle the ' +
    'account, then run the job again.',
  InvalidParameter:
    'DashScope refused the request itself; this is likely a bug in the ' +
    'action: please report it with the request id.',
  UnsupportedOperation:
    'The operation does not fit the job in its current state.'
}

function codeFamily(code: string | undefined): string | undefined {
  return code?.split('.')[0]
}

export function isTransientAnswer(answer: ErrorAnswer): boolean {
  const { httpStatus, code } = answer
  if (httpStatus === 408 || httpStatus === 429 || httpStatus >= 500) {
    return true
  }
  return (
    code !== undefined &&
    (TRANSIENT_CODES.has(code) || TRANSIENT_CODES.has(codeFamily(code) ?? ''))
  )
}

export function hintFor(answer: ErrorAnswer): string {
  const { code, httpStatus } = answer
  const hint =
    (code && (HINTS[code] ?? HINTS[codeFamily(code) ?? ''])) ??
    (httpStatus === 401 ? HINTS.InvalidApiKey : undefined) ??
    (httpStatus === 403 ? HINTS.AccessDenied : undefined) ??
    (httpStatus === 404 ? HINTS.NotFound : undefined)
  return hint ?? 'See the DashScope error code reference for this code.'
}

/** Short one-line description: `HTTP 429 Throttling.RateQuota`. */
export function describeAnswer(answer: ErrorAnswer): string {
  return answer.code
    ? `HTTP ${answer.httpStatus} ${answer.code}`
    : `HTTP ${answer.httpStatus}`
}

/** A permanent error answer: the run fails at once with this message. */
export class ApiError extends Error {
  constructor(
    readonly answer: ErrorAnswer,
    operation: string
  ) {
    const said = answer.message ? `: "${answer.message}"` : ''
    const requestId = answer.requestId
      ? ` (request id ${answer.requestId})`
      : ' (no request id)'
    super(
      `DashScope answered ${describeAnswer(answer)}${said}${requestId} ` +
        `when ${operation}. ${hintFor(answer)}`
    )
    this.name = 'ApiError'
  }
}

/**
 * A fault that another try may not meet: throttling, a gateway's error page,
 * a reset connection, a request that took too long.
 */
export class TransientFault extends Error {
  constructor(
    description: string,
    /** How long the server asked us to wait, when it said so. */
    readonly retryAfterMs?: number,
    /** The request was abandoned for taking too long. */
    readonly timedOut = false
  ) {
    super(description)
    this.name = 'TransientFault'
  }
}

/**
 * Network failures that are about the configuration rather than the moment:
 * retrying them would only wait for the overall timeout.
 */
const PERMANENT_NETWORK_CODES = new Set([
  'ENOTFOUND',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
])

export function isPermanentNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && PERMANENT_NETWORK_CODES.has(code)
}

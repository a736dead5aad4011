// How long to wait before trying a failed request again.

export interface BackoffPolicy {
  /** The first wait, before jitter. */
  initialMs: number
  /** No wait grows past this, before jitter. */
  maxMs: number
  /** A number in [0, 1); injectable so tests get exact waits. */
  random: () => number
}

/**
 * Exponential backoff with "equal jitter": half of the doubled wait is kept,
 * the other half is random. The kept half stops a throttled client from
 * hammering; the random half keeps many runners from retrying in step.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const ceiling = Math.min(
    policy.maxMs,
    policy.initialMs * 2 ** Math.max(0, attempt - 1)
  )
  return ceiling / 2 + (policy.random() * ceiling) / 2
}

/**
 * Reads a `Retry-After` header: a number of seconds or an HTTP date. Returns
 * the wait in milliseconds, or undefined when the header is absent or
 * unreadable. `nowEpochMs` is wall-clock time, as the date form needs it.
 */
export function parseRetryAfter(
  header: string | string[] | undefined,
  nowEpochMs: number
): number | undefined {
  const text = (Array.isArray(header) ? header[0] : header)?.trim()
  if (!text) return undefined
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000
  // Date.parse also reads bare numbers such as "-3" as years; an HTTP
  // date always names its weekday and month.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : NaN
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - nowEpochMs)
}

// Time as the action sees it. The follower and the retry loop only ever ask
// this object for the time or for a pause, so tests can drive them with a
// fake clock and never wait on a real one.

export interface Clock {
  /** Milliseconds on a monotonic scale; only differences mean anything. */
  now(): number
  /**
   * Waits `ms`, or less when `signal` aborts first. It never rejects: the
   * caller looks at the signal afterwards and decides what an abort means.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep(ms, signal) {
    // Node's timers count from the event loop's cached time, so one can
    // fire a little before `ms` have passed on performance.now(). Callers
    // compare times after a sleep, so the rest is slept again.
    const until = performance.now() + ms
    return new Promise(resolve => {
      if (signal?.aborted || ms <= 0) {
        resolve()
        return
      }
      let timer: NodeJS.Timeout
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const wake = (): void => {
        const left = until - performance.now()
        if (left > 0) timer = setTimeout(wake, Math.ceil(left))
        else done()
      }
      timer = setTimeout(wake, Math.ceil(ms))
      signal?.addEventListener('abort', done, { once: true })
    })
  }
}

/**
 * Formats a duration for people: `850 ms`, `2.5 s`, `3 min 36 s`,
 * `1 d 2 h`. Sub-second waits keep their milliseconds, because retry waits
 * that short are common and "0 s" would say nothing.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 10_000) return `${Math.round(ms / 100) / 10} s`

  let seconds = Math.round(ms / 1000)
  const parts: string[] = []
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60]
  ] as const) {
    const count = Math.floor(seconds / size)
    seconds -= count * size
    if (count > 0) parts.push(`${count} ${unit}`)
  }
  if (seconds > 0) parts.push(`${seconds} s`)
  return parts.join(' ')
}

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
    return new Promise(resolve => {
      if (signal?.aborted || ms <= 0) {
        resolve()
        return
      }
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
    })
  }
}

/** Formats a duration for people: `850 ms`, `2.5 s`, `3 min 20 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`
}

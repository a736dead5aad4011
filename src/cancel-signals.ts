// Listens for the runner's cancel signals from the moment the bundle starts.
//
// The runner cancels a step with SIGINT, then SIGTERM 7.5 s later, then
// kills it. Node's default for SIGINT is to die at once, without outputs or
// a reason. The bundle takes some 50 ms to load, so the handlers are set
// when this module is first imported, ahead of everything heavier, rather
// than when the run starts.

const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** How long a cancelled run may take to report before it is ended. */
const EXIT_DEADLINE_MS = 1800

const controller = new AbortController()
let received: string | undefined

for (const name of CANCEL_SIGNALS) {
  process.on(name, () => {
    // The runner follows SIGINT with SIGTERM; the first one is already
    // being handled, and the timer below bounds how long that takes.
    if (received !== undefined) return
    received = name
    controller.abort()
    // Unreferenced: it fires only if something still holds the process
    // open after the run has reported, so a cancelled step never outlives
    // the two seconds it is allowed.
    setTimeout(() => process.exit(1), EXIT_DEADLINE_MS).unref()
  })
}

/** Aborted by the first cancel signal. */
export const cancelSignal: AbortSignal = controller.signal

/** Which signal cancelled the run, once one has. */
export function cancelReason(): string | undefined {
  return received
}

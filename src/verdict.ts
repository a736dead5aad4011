// Decides the step's colour. A green step must mean the model trained and
// finished: the job's status says SUCCEEDED, the log ended with the
// completion marker (unless that check is turned off), and every quality bar
// the workflow set was met. Everything else is red, with the reason.

import { formatDuration } from './clock.js'
import { displayLine } from './log-echo.js'
import type { Ending } from './log-follower.js'
import type { Verdict } from './run-report.js'
import { shorten } from './shorten.js'

/** What the run knows when it decides. */
export interface VerdictFacts {
  jobId: string
  ending: Ending
  status?: string
  markerSeen: boolean
  requireMarker: boolean
  completionMarker: string
  linesRead: number
  lastLines: readonly string[]
  waitedMs: number
  timeoutMs: number
  /** The fault being retried when the run timed out, if any. */
  lastFault?: string
  /** The signal that cancelled the run. */
  cancelSignal?: string
  /** What became of the request to cancel the job, if one was sent. */
  cancelOutcome?: string
  trainLoss?: number
  evalLoss?: number
  maxTrainLoss?: number
  maxEvalLoss?: number
}

export interface Decision {
  verdict: Verdict
  /** Empty when the step passes. */
  reason: string
}

/** How many of the last log lines a failure message quotes. */
const QUOTED_LINES = 5

export function decideVerdict(facts: VerdictFacts): Decision {
  const { jobId, status } = facts
  const statusText = status ?? 'unknown (never read)'
  const progress = `${facts.linesRead} log lines read`

  if (facts.ending === 'cancelled') {
    const signal = facts.cancelSignal ? ` (${facts.cancelSignal})` : ''
    const cancel = facts.cancelOutcome ? ` ${facts.cancelOutcome}` : ''
    return {
      verdict: 'cancelled',
      reason:
        `The run was cancelled${signal} ` +
        `while following job ${jobId}; its last status was ${statusText}, ` +
        `${progress}.${cancel}`
    }
  }

  if (facts.ending === 'timed-out') {
    const fault = facts.lastFault
      ? ` The last request failed with ${facts.lastFault}.`
      : ''
    return {
      verdict: 'timed-out',
      reason:
        `Gave up on job ${jobId} after ${formatDuration(facts.waitedMs)} ` +
        `(the 'timeout' input allows ` +
        `${formatDuration(facts.timeoutMs)}): its last status was ` +
        `${statusText}, ${progress}.${fault}`
    }
  }

  if (status !== 'SUCCEEDED') {
    const known = ['FAILED', 'CANCELED'].includes(status ?? '')
    const marker = facts.markerSeen
      ? ' even though its log printed the completion marker'
      : ''
    return failed(
      `Job ${jobId} ended with status ${statusText}${marker}` +
        (known ? '' : ', which this action does not count as a success') +
        `; ${progress}.${quoteLastLines(facts.lastLines)}`
    )
  }

  if (facts.requireMarker && !facts.markerSeen) {
    return failed(
      `Job ${jobId} reports SUCCEEDED, but its log never showed the ` +
        `completion marker ${facts.completionMarker}, so the log may be ` +
        `incomplete (${progress}). If this kind of job never prints it, ` +
        `set 'require-marker' to false.${quoteLastLines(facts.lastLines)}`
    )
  }

  const bars = [
    checkBar(
      'train loss',
      'max-train-loss',
      facts.trainLoss,
      facts.maxTrainLoss
    ),
    checkBar('eval loss', 'max-eval-loss', facts.evalLoss, facts.maxEvalLoss)
  ].filter((problem): problem is string => problem !== undefined)
  if (bars.length > 0) {
    return failed(`Job ${jobId} succeeded, but ${bars.join('; and ')}.`)
  }

  return { verdict: 'succeeded', reason: '' }
}

function failed(reason: string): Decision {
  return { verdict: 'failed', reason }
}

function checkBar(
  what: string,
  input: string,
  value: number | undefined,
  bar: number | undefined
): string | undefined {
  if (bar === undefined) return undefined
  if (value === undefined) {
    return (
      `its ${what} never appeared in the log, so '${input}' ` +
      `(${bar}) could not be checked`
    )
  }
  if (Number.isNaN(value)) {
    return `its ${what} is NaN, which cannot meet '${input}' (${bar})`
  }
  if (value <= bar) return undefined
  return (
    `its ${what} ${shortestAbove(value, bar)} > ${bar} ('${input}'), ` +
    `over the bar by ${Number((value - bar).toPrecision(3))}`
  )
}

/**
 * The value with as few digits as still show it above the bar: 0.912 for
 * 0.9122632344563802 against 0.5, but 0.91227 against 0.9122.
 */
function shortestAbove(value: number, bar: number): number {
  for (let digits = 3; digits < 17; digits++) {
    const shown = Number(value.toPrecision(digits))
    if (shown > bar) return shown
  }
  return value
}

function quoteLastLines(lines: readonly string[]): string {
  if (lines.length === 0) return ' The log was empty.'
  const quoted = lines
    .slice(-QUOTED_LINES)
    .map(line => `  ${shorten(displayLine(line), 500)}`)
  return `\nLast log lines:\n${quoted.join('\n')}`
}

// One run of the action: read the settings, follow the job, decide, report.
// `run()` is the only place that fails the step; everything below it throws
// or returns, so a failure is reported exactly once.

import * as core from '@actions/core'
import { cancelReason, cancelSignal } from './cancel-signals.js'
import { systemClock, type Clock } from './clock.js'
import { DashScopeClient } from './dashscope-client.js'
import { renderJobSummary } from './job-summary.js'
import { LogEcho } from './log-echo.js'
import { LogFollower, type Ending } from './log-follower.js'
import { MetricsReader, tokenUsage } from './metrics.js'
import { setOutputs } from './outputs.js'
import type { RunReport } from './run-report.js'
import { describeSettings, readSettings, type Settings } from './settings.js'
import { decideVerdict } from './verdict.js'

/** What the run needs from the outside world; tests replace parts. */
export interface RunEnvironment {
  clock: Clock
  random: () => number
  writeStdout: (text: string) => void
  /** Resolves once stdout has written what it holds; at once if nothing. */
  stdoutDrained: () => Promise<void>
  /** Aborted when the runner cancels the step. */
  cancelSignal: AbortSignal
  /** Which signal cancelled the run, once one has. */
  cancelReason: () => string | undefined
}

/** Time allowed to ask DashScope to cancel the job before exiting. */
const CANCEL_REQUEST_TIMEOUT_MS = 1500

function defaultEnvironment(): RunEnvironment {
  return {
    clock: systemClock,
    random: Math.random,
    writeStdout: text => process.stdout.write(text),
    // Asked only when the stream still holds unwritten text: a 'drain'
    // that already happened would otherwise be waited for forever.
    stdoutDrained: () =>
      process.stdout.writableNeedDrain
        ? new Promise(resolve => process.stdout.once('drain', resolve))
        : Promise.resolve(),
    cancelSignal,
    cancelReason
  }
}

export async function run(
  environment: RunEnvironment = defaultEnvironment()
): Promise<void> {
  // Masked before anything else is printed, untrimmed and trimmed, so that
  // even a message about a bad input cannot show the key.
  const rawKey = core.getInput('api-key', { trimWhitespace: false })
  for (const form of new Set([rawKey, rawKey.trim()])) {
    if (form !== '') core.setSecret(form)
  }

  let settings: Settings
  try {
    settings = readSettings(name => core.getInput(name))
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error))
    return
  }
  for (const line of describeSettings(settings)) core.debug(line)

  try {
    const report = await followAndReport(settings, environment)
    if (report.verdict === 'succeeded') {
      core.info(
        `Job ${settings.jobId} succeeded` +
          (report.finetunedOutput ? `: model ${report.finetunedOutput}.` : '.')
      )
      // Clears the failing exit code the entry starts with. A plain 0, not
      // core.ExitCode: local-action's stand-in for the toolkit lacks it.
      process.exitCode = 0
    } else {
      core.setFailed(report.reason)
    }
  } catch (error) {
    // Only a bug gets here; the message is still shown without a stack.
    core.setFailed(
      `The action stopped unexpectedly while following job ` +
        `${settings.jobId}: ${error instanceof Error ? error.message : error}`
    )
  }
}

/** Follows the job, decides, and writes the outputs and the summary. */
async function followAndReport(
  settings: Settings,
  environment: RunEnvironment
): Promise<RunReport> {
  const { clock } = environment
  const startedAt = clock.now()
  const deadline = startedAt + settings.timeoutMs
  const log = (message: string): void => core.info(message)

  const client = new DashScopeClient({
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    workspace: settings.workspace,
    jobId: settings.jobId,
    requestTimeoutMs: settings.requestTimeoutMs,
    clock,
    signal: environment.cancelSignal,
    deadline,
    backoff: {
      // Retries start fast and never wait much longer than a few polls.
      initialMs: Math.min(1000, settings.pollIntervalMs),
      maxMs: Math.min(60_000, Math.max(1000, 4 * settings.pollIntervalMs)),
      random: environment.random
    },
    log
  })
  const echo = new LogEcho({
    write: environment.writeStdout,
    drained: environment.stdoutDrained
  })
  const metrics = new MetricsReader()
  const follower = new LogFollower({
    jobId: settings.jobId,
    reader: client,
    echo,
    clock,
    signal: environment.cancelSignal,
    deadline,
    pollIntervalMs: settings.pollIntervalMs,
    completionMarker: settings.completionMarker,
    requireMarker: settings.requireMarker,
    onLines: lines => {
      for (const line of lines) metrics.read(line)
    },
    log
  })

  core.info(
    `Following DashScope fine-tuning job ${settings.jobId} at ` +
      `${settings.baseUrl}.`
  )
  echo.openGroup(`Training log of job ${settings.jobId}`)
  let ending: Ending = 'finished'
  let failure: string | undefined
  try {
    ending = await follower.follow()
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error)
  } finally {
    echo.closeGroup()
  }

  let cancelOutcome: string | undefined
  if (ending === 'cancelled' && settings.cancelOnAbort) {
    cancelOutcome = await cancelJob(client)
  }
  client.dispose()

  const found = metrics.metrics
  const decision = failure
    ? { verdict: 'failed' as const, reason: failure }
    : decideVerdict({
        jobId: settings.jobId,
        ending,
        status: follower.status,
        markerSeen: follower.markerSeen,
        requireMarker: settings.requireMarker,
        completionMarker: settings.completionMarker,
        linesRead: follower.linesRead,
        lastLines: follower.lastLines,
        waitedMs: clock.now() - startedAt,
        timeoutMs: settings.timeoutMs,
        lastFault: follower.lastFault,
        cancelSignal: environment.cancelReason(),
        cancelOutcome,
        trainLoss: found.trainLoss,
        evalLoss: found.evalLoss,
        maxTrainLoss: settings.maxTrainLoss,
        maxEvalLoss: settings.maxEvalLoss
      })

  const report: RunReport = {
    jobId: settings.jobId,
    verdict: decision.verdict,
    reason: decision.reason,
    status: follower.status,
    finetunedOutput: follower.job?.finetunedOutput,
    tokenUsage: tokenUsage(found, follower.job?.usage),
    metrics: found,
    curve: metrics.curve,
    logLines: follower.linesRead,
    durationMs: clock.now() - startedAt,
    retries: client.retryCount,
    lastLines: follower.lastLines
  }

  setOutputs(report, core.setOutput, core.warning)
  await writeSummary(report)
  core.debug(`${client.requestCount} requests sent`)
  return report
}

async function cancelJob(client: DashScopeClient): Promise<string> {
  try {
    await client.cancelJob(CANCEL_REQUEST_TIMEOUT_MS)
    return 'DashScope was asked to cancel the job and accepted.'
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    return `Asking DashScope to cancel the job failed: ${why}`
  }
}

async function writeSummary(report: RunReport): Promise<void> {
  // Outside a runner (local runs) there is no summary file to write to.
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await core.summary.addRaw(renderJobSummary(report)).write()
  } catch (error) {
    core.warning(
      `Could not write the job summary: ${
        error instanceof Error ? error.message : error
      }`
    )
  }
}

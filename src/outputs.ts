// The step's outputs, set from the run's report on every ending, so that a
// later `if: always()` step can read what is known even after a failure.
// Every value is plain JSON-compatible text, usable with `fromJSON(...)`, or
// empty when unknown.

import type { RunReport } from './run-report.js'

export type OutputSetter = (name: string, value: string) => void

/** A finite number as text; empty, with a warning, for NaN or infinity. */
function numberOutput(
  name: string,
  value: number | undefined,
  warn: (message: string) => void
): string {
  if (value === undefined) return ''
  if (!Number.isFinite(value)) {
    warn(`The log reported ${name} as ${value}; the output '${name}' is empty.`)
    return ''
  }
  return String(value)
}

export function setOutputs(
  report: RunReport,
  setOutput: OutputSetter,
  warn: (message: string) => void
): void {
  const { metrics } = report
  const numbers = {
    'train-loss': numberOutput('train-loss', metrics.trainLoss, warn),
    'eval-loss': numberOutput('eval-loss', metrics.evalLoss, warn),
    'token-usage': numberOutput('token-usage', report.tokenUsage, warn),
    epoch: numberOutput('epoch', metrics.epoch, warn),
    'train-runtime': numberOutput(
      'train-runtime',
      metrics.trainRuntimeSeconds,
      warn
    )
  }
  const texts = {
    'final-checkpoint': metrics.finalCheckpoint ?? '',
    'finetuned-output': report.finetunedOutput ?? '',
    status: report.status ?? '',
    'timed-out': String(report.verdict === 'timed-out'),
    'log-lines': String(report.logLines),
    'job-id': report.jobId
  }

  const asJson = (text: string): number | null =>
    text === '' ? null : Number(text)
  const metricsJson = {
    trainLoss: asJson(numbers['train-loss']),
    evalLoss: asJson(numbers['eval-loss']),
    tokenUsage: asJson(numbers['token-usage']),
    epoch: asJson(numbers.epoch),
    trainRuntime: asJson(numbers['train-runtime']),
    step: metrics.step ?? null,
    finalCheckpoint: metrics.finalCheckpoint ?? null,
    finetunedOutput: report.finetunedOutput ?? null,
    status: report.status ?? null,
    logLines: report.logLines
  }

  for (const [name, value] of Object.entries({ ...numbers, ...texts })) {
    setOutput(name, value)
  }
  setOutput('metrics', JSON.stringify(metricsJson))
}

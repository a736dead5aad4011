// What one run of the action found out, whatever way it ended. The outputs
// and the job summary are both rendered from this one object, so that they
// can never disagree.

import type { LossCurve, TrainingMetrics } from './metrics.js'

/** How the run ended, as the step's colour and the summary's heading. */
export type Verdict = 'succeeded' | 'failed' | 'timed-out' | 'cancelled'

export interface RunReport {
  jobId: string
  verdict: Verdict
  /** Why the step failed, in plain text; empty when it passed. */
  reason: string
  /** The job's last status as DashScope reported it, if it was ever read. */
  status?: string
  /** The trained model's id from the job object: what a deploy step needs. */
  finetunedOutput?: string
  /** Tokens billed for the job, by the most trusted source available. */
  tokenUsage?: number
  metrics: TrainingMetrics
  curve: LossCurve
  /** How many log lines were read. */
  logLines: number
  /** Wall time of the run, from start to the verdict. */
  durationMs: number
  /** How many requests were retried after a transient fault. */
  retries: number
  /** The last few log lines, as the API sent them (untrusted text). */
  lastLines: string[]
}

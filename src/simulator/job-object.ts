// The job object `GET /fine-tunes/{job_id}` answers with, built from a real
// response so that field names, types and order stay those of the service.

import { readFileSync } from 'node:fs'
import type { JsonObject } from './json-fields.js'
import { isTerminal } from './scenario.js'

const TEMPLATE_URL = new URL(
  './fixtures/responses/job-succeeded.json',
  import.meta.url
)

let template: JsonObject | undefined

function jobTemplate(): JsonObject {
  template ??= (
    JSON.parse(readFileSync(TEMPLATE_URL, 'utf8')) as { output: JsonObject }
  ).output
  return template
}

/**
 * The job as the service would describe it in `status`: the template, then
 * the scenario's overrides, then the fields the service only fills in once a
 * job has got that far.
 */
export function jobObject(
  jobId: string,
  status: string,
  overrides: JsonObject = {}
): JsonObject {
  const base = jobTemplate()
  const model = overrides.model ?? base.model
  const job: JsonObject = {
    ...base,
    job_id: jobId,
    job_name: jobId,
    finetuned_output: `${String(model)}-suffix-${jobId}`,
    ...overrides,
    status
  }

  // The trained model's id and the bill exist only for a finished training;
  // a client must not find them while the job runs.
  if (status !== 'SUCCEEDED') {
    delete job.finetuned_output
    delete job.usage
  }
  if (!isTerminal(status)) delete job.end_time

  // As in the one real canceled job seen: nothing billed, and an
  // undocumented `code` inside `output` that a client must not take for an
  // error envelope.
  if (status === 'CANCELED') {
    job.usage = overrides.usage ?? 0
    job.code = '1'
  }
  return job
}

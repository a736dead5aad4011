// The normal answers of the fine-tuning endpoints, for a request that no
// fault interferes with. Transport concerns (keep-alive, faults, recording)
// stay in the server.

import {
  errorAnswer,
  invalidParameter,
  success,
  successWithOutputJson,
  type Answer
} from './envelopes.js'
import type { SimulatedJob } from './simulated-job.js'

const LOGS_DEFAULT_LINE = 100
// The reference says a page holds at most 1000 lines but not what happens
// when more are asked for. Capping quietly, rather than refusing, is the
// answer a client can least rely on by accident: it must page by the number
// of lines it received, not by the number it asked for.
const LOGS_MAX_LINE = 1000

const LIST_DEFAULT_PAGE_SIZE = 10
const LIST_MAX_PAGE_SIZE = 100

type Query = Record<string, string>

/**
 * A whole number parameter, or a message saying why the value is refused.
 * An empty value is refused rather than taken as the default, so that a
 * client which forgets to fill in a value finds out.
 */
function readCount(
  query: Query,
  name: string,
  fallback: number,
  min: number
): number | string {
  const raw = query[name]
  if (raw === undefined) return fallback
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(value) || value < min) {
    const expected = min > 0 ? 'a positive integer' : 'a non-negative integer'
    return `${name} must be ${expected}, got "${raw}"`
  }
  return value
}

/**
 * The offset a logs request asks for, as the scenario's fault rules match
 * it: the default when it is absent, undefined when it is not valid.
 */
export function requestedOffset(
  query: Query,
  offsetBase: 0 | 1
): number | undefined {
  const offset = readCount(query, 'offset', offsetBase, 0)
  return typeof offset === 'number' ? offset : undefined
}

export function answerLogs(job: SimulatedJob, query: Query): Answer {
  const offset = readCount(query, 'offset', job.offsetBase, 0)
  if (typeof offset === 'string') return invalidParameter(offset)
  const line = readCount(query, 'line', LOGS_DEFAULT_LINE, 1)
  if (typeof line === 'string') return invalidParameter(line)

  // With offsetBase 1 (the Python SDK's reading), offset 1 is the first line;
  // offset 0 is read as the first line too, since nothing precedes it.
  const start = job.offsetBase === 1 ? Math.max(0, offset - 1) : offset
  const total = job.visibleLines
  const end = Math.min(total, start + Math.min(line, LOGS_MAX_LINE))

  // Built as text, one line at a time, because this answer is what a
  // benchmark of the client measures: a million lines must page in seconds.
  const logs: string[] = []
  for (let index = start; index < end; index += 1) {
    logs.push(JSON.stringify(job.log.lineAt(index)))
  }
  return successWithOutputJson(`{"total":${total},"logs":[${logs.join(',')}]}`)
}

export function answerJob(job: SimulatedJob): Answer {
  return success(job.readJobObject())
}

export function answerCancel(job: SimulatedJob): Answer {
  if (!job.cancel()) {
    return errorAnswer(
      400,
      'UnsupportedOperation',
      `The job ${job.id} has already ended (${job.status}) and cannot be ` +
        'canceled.'
    )
  }
  return success({ status: 'success' })
}

export function answerList(
  jobs: readonly SimulatedJob[],
  query: Query
): Answer {
  const pageNo = readCount(query, 'page_no', 1, 1)
  if (typeof pageNo === 'string') return invalidParameter(pageNo)
  const pageSize = readCount(query, 'page_size', LIST_DEFAULT_PAGE_SIZE, 1)
  if (typeof pageSize === 'string') return invalidParameter(pageSize)
  if (pageSize > LIST_MAX_PAGE_SIZE) {
    return invalidParameter(
      `page_size must be at most ${LIST_MAX_PAGE_SIZE}, got "${pageSize}"`
    )
  }

  const first = (pageNo - 1) * pageSize
  return success({
    page_no: pageNo,
    page_size: pageSize,
    total: jobs.length,
    jobs: jobs.slice(first, first + pageSize).map(job => job.peekJobObject())
  })
}

// Which answers are worth another try, how long to wait, and what to tell
// the user about the ones that are not.

import {
  ApiError,
  hintFor,
  isTransientAnswer,
  type ErrorAnswer
} from '../src/api-errors.js'
import { backoffDelay, parseRetryAfter } from '../src/backoff.js'

describe('transient or permanent', () => {
  test.each<[ErrorAnswer, boolean]>([
    [{ httpStatus: 429, code: 'Throttling' }, true],
    [{ httpStatus: 429, code: 'Throttling.RateQuota' }, true],
    [{ httpStatus: 400, code: 'Throttling.AllocationQuota' }, true],
    [{ httpStatus: 408, code: 'RequestTimeOut' }, true],
    [{ httpStatus: 500, code: 'InternalError' }, true],
    [{ httpStatus: 502 }, true],
    [{ httpStatus: 504 }, true],
    [{ httpStatus: 400, code: 'InvalidParameter' }, false],
    [{ httpStatus: 400, code: 'Arrearage' }, false],
    [{ httpStatus: 401, code: 'InvalidApiKey' }, false],
    [{ httpStatus: 403, code: 'AccessDenied' }, false],
    [{ httpStatus: 404, code: 'NotFound' }, false]
  ])('%j is transient: %s', (answer, transient) => {
    expect(isTransientAnswer(answer)).toBe(transient)
  })

  test.each([
    ['NotFound', 404, "'job-id'"],
    ['WorkSpaceNotFound', 404, "'workspace'"],
    ['InvalidApiKey', 401, "'api-key'"],
    ['Workspace.AccessDenied', 403, 'permissions'],
    ['Arrearage', 400, 'settle the account'],
    [undefined, 401, "'api-key'"]
  ])('the hint for %s (HTTP %d) mentions %s', (code, httpStatus, text) => {
    expect(hintFor({ httpStatus, code })).toContain(text)
  })

  test('an API error holds the status, code, message, request id and hint', () => {
    const error = new ApiError(
      {
        httpStatus: 404,
        code: 'NotFound',
        message: 'Not Found!',
        requestId: 'BE213CDD-8A5C-59EE-9A67-055EAB0CB59B'
      },
      'reading the log of job ft-1'
    )
    expect(error.message).toBe(
      'DashScope answered HTTP 404 NotFound: "Not Found!" (request id ' +
        'BE213CDD-8A5C-59EE-9A67-055EAB0CB59B) when reading the log of ' +
        "job ft-1. Check that 'job-id' is right and that the job was " +
        "created in the region set by 'region' (or 'base-url')."
    )
  })
})

describe('waiting between tries', () => {
  const policy = (random: number) => ({
    initialMs: 1000,
    maxMs: 8000,
    random: () => random
  })

  test.each([
    [1, 0, 500],
    [1, 0.999999, 1000],
    [2, 0, 1000],
    [3, 0.5, 3000],
    [4, 0, 4000],
    [10, 0, 4000],
    [10, 0.999999, 8000]
  ])('try %d with jitter %d waits %d ms', (attempt, random, expected) => {
    expect(backoffDelay(policy(random), attempt)).toBeCloseTo(expected, 0)
  })

  const now = Date.parse('2026-12-03T10:00:00Z')
  test.each([
    ['2', 2000],
    ['0', 0],
    ['1.5', 1500],
    ['Thu, 03 Dec 2026 10:00:07 GMT', 7000],
    ['Thu, 03 Dec 2026 09:59:00 GMT', 0],
    ['soon', undefined],
    ['-3', undefined],
    ['', undefined]
  ])('Retry-After %j means %s ms', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected)
  })
})

// A server that misbehaves on purpose: it echoes the key where the action
// takes metrics from, ignores the offset, flips a final status, sends
// malformed pages, or keeps the action waiting past its timeout. None of it
// may leak the key, double a line, turn a failure green or overrun the time.

import {
  echoedLines,
  failureMessage,
  runAction,
  TEST_KEY,
  sampleJobFailingOnce
} from './support/e2e.js'

const JOB = 'ft-202410291653-1c7f'

/** Everything the action wrote where a person or a later step can read it. */
function everythingShown(run: {
  stdout: string
  stderr: string
  outputsFile: string
  summary: string
}): string {
  const stdout = run.stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  return [stdout, run.stderr, run.outputsFile, run.summary].join('\n')
}

describe('the key', () => {
  test('does not reach an output through a metric line', async () => {
    const run = await runAction({
      jobId: JOB,
      lines: ['a', 'b'],
      faults: [
        {
          endpoint: 'logs',
          offset: 0,
          fault: {
            kind: 'respond',
            status: 200,
            body: {
              output: {
                total: 2,
                logs: [' use {{apiKey}} as final checkpoint', '##FT_COMPLETE##']
              }
            }
          }
        }
      ]
    })

    expect(run.exitCode).toBe(0)
    expect(everythingShown(run)).not.toContain(TEST_KEY)
    expect(run.outputs['final-checkpoint']).toBe('')
  })

  test('is hidden in its JSON-escaped form too', async () => {
    const key = 'sk-"quote\\slash/0123'
    const run = await runAction(
      {
        jobId: JOB,
        lines: ['a'],
        timeline: [{ status: 'FAILED' }],
        faults: [
          {
            endpoint: 'logs',
            offset: 0,
            fault: {
              kind: 'respond',
              status: 200,
              body: { output: { total: 1, logs: [{ k: '{{apiKey}}' }] } }
            }
          }
        ]
      },
      { 'api-key': key }
    )

    expect(run.exitCode).toBe(1)
    const shown = everythingShown(run)
    expect(shown).not.toContain(key)
    expect(shown).not.toContain(JSON.stringify(key).slice(1, -1))
    expect(echoedLines(run.stdout)).toEqual(['{"k":"***"}'])
  })
})

describe('a server that does not page as documented', () => {
  test('never gets a page printed twice when it ignores the offset', async () => {
    const page = ['a', 'b', '##FT_COMPLETE##']
    const run = await runAction(
      {
        jobId: JOB,
        lines: page,
        faults: [
          {
            endpoint: 'logs',
            fault: {
              kind: 'respond',
              status: 200,
              body: { output: { total: 3, logs: page } }
            }
          }
        ]
      },
      { timeout: '0.02' }
    )

    expect(run.exitCode).toBe(1)
    expect(echoedLines(run.stdout)).toEqual(page)
    expect(failureMessage(run.stdout)).toContain(
      'which does not fit the request'
    )
  })

  test('retries a page whose total is not a number', async () => {
    const run = await runAction(
      sampleJobFailingOnce({
        kind: 'respond',
        status: 200,
        body: { output: { total: '10', logs: [] } }
      })
    )

    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('without a whole output.total')
    expect(echoedLines(run.stdout)).toHaveLength(10)
  })

  test('keeps the first final status when a later read flips it', async () => {
    const run = await runAction(
      {
        jobId: JOB,
        generate: { count: 3000 },
        then: ['##FT_COMPLETE##'],
        timeline: [
          { status: 'FAILED' },
          { status: 'SUCCEEDED', after: { requests: 2 } }
        ]
      },
      { 'poll-interval': '0.01' }
    )

    expect(run.exitCode).toBe(1)
    expect(run.outputs.status).toBe('FAILED')
    expect(echoedLines(run.stdout)).toHaveLength(3001)
  })
})

describe('time', () => {
  test('the timeout is kept even when the poll interval is longer', async () => {
    const run = await runAction(
      { jobId: JOB, lines: ['a'], timeline: [{ status: 'RUNNING' }] },
      { 'poll-interval': '60', timeout: '0.02' }
    )

    expect(run.exitCode).toBe(1)
    expect(run.outputs['timed-out']).toBe('true')
    expect(run.durationMs).toBeLessThan(3000)
  })

  test('says so when the server asks for a wait past the timeout', async () => {
    const run = await runAction(
      sampleJobFailingOnce({
        kind: 'error',
        status: 429,
        code: 'Throttling',
        headers: { 'retry-after': '999999' }
      })
    )

    expect(run.exitCode).toBe(1)
    expect(failureMessage(run.stdout)).toContain(
      'HTTP 429 Throttling, and the next try would have been due in 11 d'
    )
  })
})

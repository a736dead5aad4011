// The step's colour is the product: these end-to-end runs of the bundled
// action pin down when it is green, when it is red, and that no fault on
// the way loses or doubles a log line.

import { obeyedCommands } from '../scripts/workflow-commands.js'
import {
  echoedLines,
  readFixtureLines,
  runAction,
  startAction,
  failureMessage,
  sampleJobFailingOnce
} from './support/e2e.js'

const JOB = 'ft-202410291653-1c7f'

function countOf(lines: string[], wanted: string): number {
  return lines.filter(line => line === wanted).length
}

describe('the job status decides', () => {
  test('passes with the usage line that arrives after SUCCEEDED', async () => {
    const lines = readFixtureLines('cpt-2025.txt')
    const usageLine = lines[lines.length - 1]
    expect(usageLine).toContain('training usage 393216')

    const run = await runAction({
      jobId: JOB,
      logFile: 'cpt-2025.txt',
      job: { usage: 1 },
      timeline: [
        { status: 'RUNNING', visibleLines: 4 },
        { status: 'RUNNING', visibleLines: 9, after: { requests: 3 } },
        {
          status: 'SUCCEEDED',
          visibleLines: lines.length - 1,
          after: { requests: 3 }
        },
        // The usage line appears one request after the status changed.
        {
          status: 'SUCCEEDED',
          visibleLines: lines.length,
          after: { requests: 1 }
        }
      ]
    })

    expect(run.exitCode).toBe(0)
    expect(echoedLines(run.stdout)).toEqual(lines)
    expect(run.outputs['token-usage']).toBe('393216')
    expect(run.outputs.status).toBe('SUCCEEDED')
  })

  test('fails within a poll of FAILED, quoting the status and last lines', async () => {
    const run = await runAction({
      jobId: JOB,
      lines: ['Training start!', 'CUDA out of memory', 'worker exited 1'],
      timeline: [
        { status: 'RUNNING', visibleLines: 2 },
        { status: 'FAILED', visibleLines: 3, after: { requests: 4 } }
      ]
    })

    expect(run.exitCode).toBe(1)
    const message = failureMessage(run.stdout)
    expect(message).toContain('ended with status FAILED')
    expect(message).toContain('worker exited 1')
    expect(run.outputs.status).toBe('FAILED')
    expect(run.outputs['timed-out']).toBe('false')
    // The timeout is 30 s; the verdict comes at once.
    expect(run.durationMs).toBeLessThan(5000)
  })

  test('fails when the marker is there but the status is CANCELED', async () => {
    const run = await runAction({
      jobId: JOB,
      logFile: 'docs-sample-tail.txt',
      timeline: [{ status: 'CANCELED' }]
    })

    expect(run.exitCode).toBe(1)
    expect(failureMessage(run.stdout)).toContain(
      'ended with status CANCELED even though its log printed the completion marker'
    )
  })

  test('does not take a line that mentions the marker for the marker', async () => {
    const run = await runAction({
      jobId: JOB,
      lines: ['note: the job prints ##FT_COMPLETE## when done', 'done']
    })

    expect(run.exitCode).toBe(1)
    expect(failureMessage(run.stdout)).toContain(
      'never showed the completion marker'
    )
  })

  test('fails on a status it does not know', async () => {
    const run = await runAction({
      jobId: JOB,
      logFile: 'docs-sample-tail.txt',
      timeline: [{ status: 'SUSPENDED' }]
    })

    expect(run.exitCode).toBe(1)
    expect(failureMessage(run.stdout)).toContain('status SUSPENDED')
  })
})

describe('no line is lost or doubled', () => {
  test('prints 2,001 waiting lines once each across page boundaries', async () => {
    const run = await runAction(
      { jobId: JOB, generate: { count: 2001 } },
      { 'require-marker': 'false' }
    )

    const echoed = echoedLines(run.stdout)
    expect(run.exitCode).toBe(0)
    expect(echoed).toHaveLength(2001)
    for (const line of ['L1', 'L1000', 'L1001', 'L2001']) {
      expect(countOf(echoed, line)).toBe(1)
    }
  })

  test('waits out a throttled page two as Retry-After asks', async () => {
    const run = await runAction(
      {
        jobId: JOB,
        generate: { count: 2001 },
        faults: [
          {
            endpoint: 'logs',
            nth: 2,
            fault: {
              kind: 'error',
              status: 429,
              code: 'Throttling.RateQuota',
              headers: { 'Retry-After': '2' }
            }
          }
        ]
      },
      { 'require-marker': 'false' }
    )

    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(
      /HTTP 429 Throttling\.RateQuota\. Trying again in 2 s\./
    )
    const echoed = echoedLines(run.stdout)
    expect(echoed).toHaveLength(2001)
    expect(new Set(echoed).size).toBe(2001)
    const offsets = run.requests
      .filter(request => request.endpoint === 'logs')
      .map(request => request.query.offset)
    expect(offsets.slice(0, 3)).toEqual(['0', '1000', '1000'])
  })

  test('rides out a gateway page', async () => {
    const run = await runAction(
      sampleJobFailingOnce({
        kind: 'respond',
        status: 502,
        headers: { 'content-type': 'text/html' },
        body: '<html><body><h1>502 Bad Gateway</h1></body></html>'
      })
    )

    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('HTTP 502 with an HTML page')
    expect(run.stdout).not.toContain('<html>')
    expect(echoedLines(run.stdout)).toEqual(
      readFixtureLines('docs-sample-tail.txt')
    )
  })

  test('fails at the timeout when the gateway never recovers', async () => {
    const run = await runAction(
      {
        jobId: JOB,
        logFile: 'docs-sample-tail.txt',
        faults: [
          {
            endpoint: 'any',
            from: 1,
            fault: {
              kind: 'respond',
              status: 502,
              headers: { 'content-type': 'text/html' },
              body: '<html><body><h1>502 Bad Gateway</h1></body></html>'
            }
          }
        ]
      },
      { timeout: '0.02' }
    )

    expect(run.exitCode).toBe(1)
    expect(failureMessage(run.stdout)).toContain('HTTP 502')
    expect(run.stdout + run.stderr).not.toContain('<html>')
    expect(run.outputs['timed-out']).toBe('true')
  })

  test('abandons a stalled answer after request-timeout and retries', async () => {
    const run = await runAction(
      sampleJobFailingOnce({ kind: 'stall-after-headers' }),
      { 'request-timeout': '0.5' }
    )

    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('no complete answer within 500 ms')
    expect(echoedLines(run.stdout)).toEqual(
      readFixtureLines('docs-sample-tail.txt')
    )
  })

  test('keeps every line through a connection reset on the fourth request', async () => {
    const run = await runAction({
      jobId: JOB,
      generate: { count: 2500 },
      thenFile: 'docs-sample-tail.txt',
      faults: [{ endpoint: 'any', nth: 4, fault: { kind: 'reset' } }]
    })

    const echoed = echoedLines(run.stdout)
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('the connection failed')
    expect(echoed).toHaveLength(2510)
    expect(new Set(echoed).size).toBe(2510)
  })
  test('retries refused connections while the server is away', async () => {
    const run = await runAction({
      jobId: JOB,
      generate: { count: 1500 },
      thenFile: 'docs-sample-tail.txt',
      faults: [
        { endpoint: 'logs', nth: 2, fault: { kind: 'offline', ms: 400 } }
      ]
    })

    const echoed = echoedLines(run.stdout)
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/the connection failed \(connect ECONNREFUSED/)
    expect(echoed).toHaveLength(1510)
    expect(new Set(echoed).size).toBe(1510)
  })

  test('retries a body cut in the middle', async () => {
    const run = await runAction(
      sampleJobFailingOnce({ kind: 'truncated-body' })
    )

    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/Try 1 at reading the log .* failed/)
    expect(echoedLines(run.stdout)).toEqual(
      readFixtureLines('docs-sample-tail.txt')
    )
  })
})

describe('nothing hangs', () => {
  test('reaches a verdict when pages fill the output pipe', async () => {
    // Pages of ~300 KB back up stdout; the run must wait for the pipe to
    // drain, not finish early without a verdict.
    const run = await runAction({
      jobId: JOB,
      generate: { count: 999, template: `{n} ${'x'.repeat(300)}` },
      then: ['##FT_COMPLETE##'],
      timeline: [
        { status: 'RUNNING', visibleLines: 999 },
        { status: 'SUCCEEDED', after: { requests: 4 } }
      ]
    })

    expect(run.exitCode).toBe(0)
    expect(run.outputs.status).toBe('SUCCEEDED')
    expect(echoedLines(run.stdout)).toHaveLength(1000)
  })

  test('gives up at the timeout with the last status in the outputs', async () => {
    const run = await runAction(
      {
        jobId: JOB,
        lines: ['Training start!'],
        timeline: [{ status: 'RUNNING' }]
      },
      { timeout: '0.02' }
    )

    expect(run.exitCode).toBe(1)
    expect(failureMessage(run.stdout)).toContain('its last status was RUNNING')
    expect(run.outputs['timed-out']).toBe('true')
    expect(run.outputs.status).toBe('RUNNING')
    expect(run.outputs['log-lines']).toBe('1')
  })

  test.each([
    { cancelOnAbort: 'false', cancelRequests: 0 },
    { cancelOnAbort: 'true', cancelRequests: 1 }
  ])(
    'stops within 2 s of SIGINT (cancel-on-abort: $cancelOnAbort)',
    async ({ cancelOnAbort, cancelRequests }) => {
      const { simulator, action } = await startAction(
        {
          jobId: JOB,
          lines: ['Training start!'],
          timeline: [{ status: 'RUNNING' }]
        },
        { 'poll-interval': '5', 'cancel-on-abort': cancelOnAbort }
      )
      try {
        await action.waitForStdout(`Job ${JOB} is RUNNING`)
        // The action now sleeps before its next poll: nothing is in flight.
        await new Promise(resolve => setTimeout(resolve, 100))
        const requestsBefore = simulator.requests.length
        const signalledAt = performance.now()
        action.child.kill('SIGINT')
        const run = await action.result

        expect(performance.now() - signalledAt).toBeLessThan(2000)
        expect(run.exitCode).not.toBe(0)
        const after = simulator.requests.slice(requestsBefore)
        expect(after.map(request => request.endpoint)).toEqual(
          Array(cancelRequests).fill('cancel')
        )
        const commands = obeyedCommands(run.stdout).map(c => c.name)
        expect(commands.filter(name => name === 'group')).toHaveLength(1)
        expect(commands.filter(name => name === 'endgroup')).toHaveLength(1)
        const message = failureMessage(run.stdout)
        expect(message).toContain(`while following job ${JOB}`)
        expect(message).toContain('last status was RUNNING')
        expect(run.outputs.status).toBe('RUNNING')
        expect(run.outputs['timed-out']).toBe('false')
      } finally {
        action.child.kill('SIGKILL')
        await simulator.close()
      }
    }
  )
})

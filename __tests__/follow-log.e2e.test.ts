// The bundled action follows real fine-tuning logs end to end: every line
// echoed once, in order, inside one group, and the outputs a deploy needs.

import { obeyedCommands } from '../scripts/workflow-commands.js'
import {
  echoedLines,
  readFixtureLines,
  runAction,
  failureMessage
} from './support/e2e.js'

const REAL_LOGS = [
  {
    file: 'docs-sample-tail.txt',
    outputs: { 'train-loss': '0.9122632344563802', 'token-usage': '279808' }
  },
  {
    file: 'cpt-2025.txt',
    outputs: { 'train-loss': '1.00644', 'token-usage': '393216' }
  },
  {
    file: 'video-lora-2025.txt',
    // With no usage line and no usage on the job, the last count of
    // consumed tokens is all there is.
    job: { usage: 0 },
    outputs: { 'token-usage': '3901440' }
  },
  {
    file: 'sft-2023-excerpt.txt',
    // This 2023 log predates the completion marker.
    inputs: { 'require-marker': 'false' },
    job: { usage: 0 },
    outputs: { 'eval-loss': '6.1887', 'token-usage': '310710' }
  }
]

describe('following a real log', () => {
  test.each(REAL_LOGS)(
    'echoes every line of $file once, in order, and passes',
    async ({ file, inputs, job, outputs }) => {
      const lines = readFixtureLines(file)
      const run = await runAction(
        { jobId: 'ft-202410291653-1c7f', logFile: file, job },
        inputs
      )

      expect(run.exitCode).toBe(0)
      expect(echoedLines(run.stdout)).toEqual(lines)
      expect(run.outputs).toMatchObject({
        ...outputs,
        'log-lines': String(lines.length),
        'job-id': 'ft-202410291653-1c7f',
        status: 'SUCCEEDED'
      })
    }
  )

  test('puts the whole log inside one group titled with the job id', async () => {
    const run = await runAction({
      jobId: 'ft-202410291653-1c7f',
      logFile: 'docs-sample-tail.txt'
    })

    const groups = obeyedCommands(run.stdout).filter(command =>
      ['group', 'endgroup'].includes(command.name)
    )
    expect(groups.map(command => command.name)).toEqual(['group', 'endgroup'])
    expect(groups[0]?.data).toContain('ft-202410291653-1c7f')
    const stdoutLines = run.stdout.split('\n')
    const [open, close] = groups.map(command => command.line)
    const firstLine = stdoutLines.indexOf(
      readFixtureLines('docs-sample-tail.txt')[0] ?? ''
    )
    expect(firstLine + 1).toBeGreaterThan(open ?? Infinity)
    expect(firstLine + 1).toBeLessThan(close ?? -Infinity)
  })

  test('reads a 2,500-line backlog in three pages without losing a line', async () => {
    const tail = readFixtureLines('docs-sample-tail.txt')
    const run = await runAction({
      jobId: 'ft-202410291653-1c7f',
      generate: { count: 2490, template: 'step {n} done' },
      thenFile: 'docs-sample-tail.txt'
    })

    const echoed = echoedLines(run.stdout)
    expect(run.exitCode).toBe(0)
    expect(echoed).toHaveLength(2500)
    expect(new Set(echoed.slice(0, 2490)).size).toBe(2490)
    expect(echoed[0]).toBe('step 1 done')
    expect(echoed[2489]).toBe('step 2490 done')
    expect(echoed.slice(2490)).toEqual(tail)
    const pages = run.requests
      .filter(request => request.endpoint === 'logs')
      .map(request => request.query.offset)
    expect(pages.slice(0, 3)).toEqual(['0', '1000', '2000'])
    expect(run.outputs['token-usage']).toBe('279808')
  })
})

describe('an unknown job', () => {
  test('fails with NotFound, the request id and what to check, no stack', async () => {
    const run = await runAction(
      { jobId: 'ft-202410291653-1c7f', logFile: 'cpt-2025.txt' },
      { 'job-id': 'ft-000000000000-0000' }
    )

    expect(run.exitCode).toBe(1)
    const error = failureMessage(run.stdout)
    expect(error).toContain('HTTP 404 NotFound')
    expect(error).toMatch(/request id [0-9a-fA-F-]{36}/)
    expect(error).toContain("Check that 'job-id' is right")
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /)
    expect(run.requests).toHaveLength(1)
  })
})

// The metrics a deploy step gates on, as the bundled action sets them from
// real logs, and the quality bars that turn a finished job red.

import { marked } from 'marked'
import { obeyedCommands } from '../scripts/workflow-commands.js'
import { runAction, failureMessage } from './support/e2e.js'

const JOB = 'ft-202410291653-1c7f'

describe('metrics from real logs', () => {
  test('takes the last step loss when no closing train_loss exists', async () => {
    const run = await runAction({ jobId: JOB, logFile: 'cpt-2025.txt' })

    expect(run.exitCode).toBe(0)
    expect(run.outputs['train-loss']).toBe('1.00644')
    expect(run.outputs['eval-loss']).toBe('1.1319')
    expect(run.outputs['token-usage']).toBe('393216')
    expect(JSON.parse(run.outputs.metrics ?? '')).toMatchObject({
      trainLoss: 1.00644,
      evalLoss: 1.1319,
      tokenUsage: 393216,
      status: 'SUCCEEDED'
    })
  })

  test('reads the documented sample', async () => {
    const run = await runAction({ jobId: JOB, logFile: 'docs-sample-tail.txt' })

    expect(run.outputs).toMatchObject({
      'train-loss': '0.9122632344563802',
      'token-usage': '279808',
      epoch: '0.8571428571428571',
      'train-runtime': '216.3999',
      'final-checkpoint': 'checkpoint-3',
      'finetuned-output': `qwen3-14b-suffix-${JOB}`
    })
  })

  test('leaves a nan loss empty and warns', async () => {
    const run = await runAction(
      { jobId: JOB, lines: ["{'loss': nan, 'epoch': 1.0}", '##FT_COMPLETE##'] },
      {}
    )

    expect(run.exitCode).toBe(0)
    expect(run.outputs['train-loss']).toBe('')
    const warnings = obeyedCommands(run.stdout).filter(
      c => c.name === 'warning'
    )
    expect(warnings.map(w => w.data).join('\n')).toContain('train-loss')
  })
})

describe('quality bars', () => {
  test('fails a succeeded job whose train loss is over the bar', async () => {
    const run = await runAction(
      { jobId: JOB, logFile: 'docs-sample-tail.txt' },
      { 'max-train-loss': '0.5' }
    )

    expect(run.exitCode).toBe(1)
    expect(failureMessage(run.stdout)).toContain(
      "its train loss 0.912 > 0.5 ('max-train-loss'), over the bar by 0.412"
    )
    expect(run.outputs.status).toBe('SUCCEEDED')
  })

  test('passes when the loss is under the bar', async () => {
    const run = await runAction(
      { jobId: JOB, logFile: 'docs-sample-tail.txt' },
      { 'max-train-loss': '1' }
    )

    expect(run.exitCode).toBe(0)
  })

  test('fails when a bar cannot be checked', async () => {
    const run = await runAction(
      { jobId: JOB, logFile: 'docs-sample-tail.txt' },
      { 'max-eval-loss': '2' }
    )

    expect(run.exitCode).toBe(1)
    expect(failureMessage(run.stdout)).toContain(
      "its eval loss never appeared in the log, so 'max-eval-loss' (2) " +
        'could not be checked'
    )
  })
})

describe('the job summary', () => {
  test('draws a 1,000-step run with a bounded chart', async () => {
    const run = await runAction({
      jobId: JOB,
      generate: {
        count: 1000,
        template:
          "{'loss': 2.{n}, 'learning_rate': 1e-05, " +
          "'global_step/max_steps': '{n}/1000'}"
      },
      thenFile: 'docs-sample-tail.txt'
    })

    expect(run.exitCode).toBe(0)
    const html = await marked.parse(run.summary)
    expect(html).toContain('<table>')
    expect(html).toContain('checkpoint-3')
    const chart = /```mermaid\n([\s\S]*?)\n```/.exec(run.summary)?.[1] ?? ''
    expect(chart).toContain('xychart-beta')
    for (const series of chart.matchAll(/line "[^"]*" \[([^\]]*)\]/g)) {
      const points = (series[1] ?? '').split(',')
      expect(points.length).toBeGreaterThan(1)
      expect(points.length).toBeLessThanOrEqual(200)
    }
    console.log(`summary of a 1,000-step run: ${run.summary.length} bytes`)
  })

  test('is written when the job fails, with the last lines', async () => {
    const run = await runAction({
      jobId: JOB,
      lines: ['Training start!', '<script>alert(1)</script> | boom'],
      timeline: [{ status: 'FAILED' }]
    })

    expect(run.exitCode).toBe(1)
    expect(run.summary).toContain('failed')
    // The line sits in a code block: rendered, it is text, not a tag.
    const html = await marked.parse(run.summary)
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; | boom')
  })
})

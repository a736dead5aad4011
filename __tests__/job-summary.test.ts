import { jest } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { marked } from 'marked'

import { renderJobSummary } from '../src/job-summary.js'
import type { LossCurve, LossPoint } from '../src/loss-curve.js'
import { MetricsReader } from '../src/metrics.js'
import type { RunReport, Verdict } from '../src/run-report.js'

// Mermaid's parser runs under Node, but once a diagram parses it passes its
// labels through DOMPurify, which needs a browser's DOM. Only that sanitizer
// is replaced; the grammar and the chart's database are Mermaid's own.
jest.unstable_mockModule('dompurify', () => ({
  default: {
    sanitize: (text: string) => text,
    addHook: () => undefined,
    removeHook: () => undefined,
    removeAllHooks: () => undefined
  }
}))

let parseMermaid: (text: string) => Promise<unknown>
beforeAll(async () => {
  const { default: mermaid } = await import('mermaid')
  parseMermaid = text => mermaid.parse(text)
})

const FIXTURES = join(import.meta.dirname, '../src/simulator/fixtures/logs')

const NO_CURVE: LossCurve = {
  train: [],
  eval: [],
  cap: 200,
  seen: { train: 0, eval: 0 }
}

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    jobId: 'ft-202410291658-8d1a',
    verdict: 'succeeded',
    reason: '',
    metrics: {},
    curve: NO_CURVE,
    logLines: 0,
    durationMs: 0,
    retries: 0,
    lastLines: [],
    ...overrides
  }
}

function readLog(lines: string[], curveCap?: number): MetricsReader {
  const reader = new MetricsReader(curveCap)
  for (const line of lines) reader.read(line)
  return reader
}

/** The trainer's lines of a run of `steps` steps, evaluated every 50. */
function simulatedLog(steps: number): string[] {
  const lines = [
    '2024-10-29 16:58:01,001 - INFO - data process succeeded, start to fine-tune'
  ]
  for (let step = 1; step <= steps; step++) {
    const loss = (0.6 + 1.8 * Math.exp(-step / 250)).toFixed(4)
    lines.push(
      `{'loss': ${loss}, 'grad_norm': 1.25, 'learning_rate': 1e-05, 'epoch': ${(step / steps).toFixed(4)}, 'global_step/max_steps': '${step}/${steps}'}`
    )
    if (step % 50 === 0) {
      const evalLoss = (0.7 + 1.7 * Math.exp(-step / 250)).toFixed(4)
      lines.push(
        `{'eval_loss': ${evalLoss}, 'eval_ppl': 2.1, 'global_step/max_steps': '${step}/${steps}'}`
      )
    }
  }
  lines.push(
    "{'train_runtime': 3600.5, 'train_loss': 0.8123, 'epoch': 1.0}",
    ' Actual number of consumed tokens is 2048000!',
    ' use checkpoint-1000 as final checkpoint',
    '2024-10-29 17:11:25,130 - INFO - training usage 2048000',
    '2024-10-29 17:11:25,175 - INFO - ##FT_COMPLETE##'
  )
  return lines
}

function simulatedReport(steps: number, overrides: Partial<RunReport> = {}) {
  const log = simulatedLog(steps)
  const reader = readLog(log)
  return report({
    status: 'SUCCEEDED',
    finetunedOutput: 'qwen-plus-ft-202410291658-8d1a',
    tokenUsage: 2048000,
    metrics: reader.metrics,
    curve: reader.curve,
    logLines: log.length,
    durationMs: 4_000_000,
    lastLines: log.slice(-20),
    ...overrides
  })
}

function toHtml(markdown: string): string {
  return marked.parse(markdown, { async: false })
}

function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map(
    m => m[1]!
  )
}

/** The value arrays of each `line` of a chart. */
function chartLines(chart: string): number[][] {
  return [...chart.matchAll(/^ {2}line "[^"]*" \[(.*)\]$/gm)].map(m =>
    m[1]!.split(', ').map(Number)
  )
}

// One pass, so that `&amp;lt;` comes back as `&lt;` and not as `<`.
const ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  quot: '"',
  amp: '&'
}
function decodeHtml(html: string): string {
  return html.replace(/&(#\d+|lt|gt|quot|amp);/g, (_, name: string) =>
    name.startsWith('#')
      ? String.fromCharCode(Number(name.slice(1)))
      : ENTITIES[name]!
  )
}

function points(count: number, at: (i: number) => LossPoint): LossPoint[] {
  return Array.from({ length: count }, (_, i) => at(i))
}

describe('renderJobSummary', () => {
  it.each<[Verdict, string]>([
    ['succeeded', '## Fine-tune job ft-1: ✅ succeeded'],
    ['failed', '## Fine-tune job ft-1: ❌ failed'],
    ['timed-out', '## Fine-tune job ft-1: ⏱️ timed out'],
    ['cancelled', '## Fine-tune job ft-1: 🛑 cancelled']
  ])('heads a %s run with its verdict and job id', (verdict, heading) => {
    const summary = renderJobSummary(report({ jobId: 'ft-1', verdict }))
    expect(summary.split('\n')[0]).toBe(heading)
  })

  it('lists the facts read from the real documented log', () => {
    const log = readFileSync(join(FIXTURES, 'docs-sample-tail.txt'), 'utf8')
    const { metrics, curve } = readLog(log.split('\n'))
    const summary = renderJobSummary(
      report({
        status: 'SUCCEEDED',
        finetunedOutput: 'qwen-plus-ft-202410291658-8d1a',
        tokenUsage: 279808,
        metrics,
        curve,
        logLines: 10,
        durationMs: 1_234_000,
        retries: 1
      })
    )
    expect(summary).toContain(
      [
        '| Fact | Value |',
        '| --- | --- |',
        '| Status | SUCCEEDED |',
        '| Finetuned output | qwen-plus-ft-202410291658-8d1a |',
        '| Train loss | 0.912263 |',
        '| Eval loss | — |',
        '| Token usage | 279,808 |',
        '| Epoch | 0.857143 |',
        '| Train runtime | 3 min 36 s |',
        '| Final checkpoint | checkpoint-3 |',
        '| Steps | — |',
        '| Log lines | 10 |',
        '| Duration | 20 min 34 s |',
        '| Retries | 1 |'
      ].join('\n')
    )
  })

  it('shows unknown facts as a dash and a diverged loss as NaN', () => {
    const summary = renderJobSummary(
      report({
        metrics: { trainLoss: NaN, evalLoss: Infinity, step: 7, maxSteps: 9 },
        durationMs: NaN
      })
    )
    expect(summary).toContain(
      [
        '| Status | — |',
        '| Finetuned output | — |',
        '| Train loss | NaN |',
        '| Eval loss | Infinity |',
        '| Token usage | — |',
        '| Epoch | — |',
        '| Train runtime | — |',
        '| Final checkpoint | — |',
        '| Steps | 7 of 9 |',
        '| Log lines | 0 |',
        '| Duration | — |',
        '| Retries | 0 |'
      ].join('\n')
    )
  })

  it.each<[string, Partial<RunReport>, boolean]>([
    ['leaves out the reason and log lines of a run that succeeded', {}, false],
    [
      'shows the reason and log lines of a run that failed',
      { verdict: 'failed' },
      true
    ],
    [
      'shows the reason and log lines of a run that timed out',
      { verdict: 'timed-out' },
      true
    ],
    [
      'shows the reason and log lines of a run that was cancelled',
      { verdict: 'cancelled' },
      true
    ]
  ])('%s', (_name, overrides, shown) => {
    const summary = renderJobSummary(
      report({
        reason: 'the job ended as FAILED',
        lastLines: ['2024-10-29 17:11:24,689 - INFO - finetune-job failed'],
        ...overrides
      })
    )
    const expected = [
      '**Reason:** the job ended as FAILED',
      '### Last log lines\n\n```text\n' +
        '2024-10-29 17:11:24,689 - INFO - finetune-job failed\n```'
    ]
    for (const part of expected) {
      if (shown) expect(summary).toContain(part)
      else expect(summary).not.toContain(part)
    }
  })

  it('shows only the newest 40 log lines, tabs kept, long ones cut', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}\tok`)
    lines.push('x'.repeat(1000))
    const summary = renderJobSummary(
      report({ verdict: 'failed', lastLines: lines })
    )
    const block = summary.split('### Last 40 log lines\n\n```text\n')[1]!
    const shown = block.split('\n```')[0]!.split('\n')
    expect(shown).toHaveLength(40)
    expect(shown[0]).toBe('line 61\tok')
    expect(shown[38]).toBe('line 99\tok')
    expect(shown[39]).toBe('x'.repeat(299) + '…')
  })

  it.each<[string, LossCurve]>([
    ['no points', NO_CURVE],
    [
      'one point per series',
      {
        ...NO_CURVE,
        train: [{ step: 3, value: 1.00644 }],
        eval: [{ step: 3, value: 1.1319 }]
      }
    ],
    [
      'points that are all at one step',
      {
        ...NO_CURVE,
        train: [
          { step: 3, value: 1 },
          { step: 3, value: 2 }
        ]
      }
    ],
    [
      'points of no finite value',
      {
        ...NO_CURVE,
        train: [
          { step: 1, value: NaN },
          { step: 2, value: Infinity }
        ]
      }
    ]
  ])('draws no chart from %s', (_name, curve) => {
    const summary = renderJobSummary(report({ curve }))
    expect(summary).not.toContain('mermaid')
    expect(summary).not.toContain('### Loss by step')
  })

  it('draws no chart from the real continued-pretraining log', () => {
    const log = readFileSync(join(FIXTURES, 'cpt-2025.txt'), 'utf8')
    const { curve } = readLog(log.split('\n'))
    expect(renderJobSummary(report({ curve }))).not.toContain('mermaid')
  })

  it('puts eval points on the steps of the x-axis', () => {
    const curve: LossCurve = {
      train: points(10, i => ({ step: i + 1, value: 2 - i / 10 })),
      eval: [
        { step: 4, value: 2.5 },
        { step: 6, value: 2.1 },
        { step: 8, value: 1.9 }
      ],
      cap: 200,
      seen: { train: 10, eval: 3 }
    }
    expect(renderJobSummary(report({ curve }))).toContain(
      [
        '### Loss by step',
        '',
        '```mermaid',
        'xychart-beta',
        '  x-axis "step" 1 --> 10',
        '  y-axis "loss"',
        '  line "train loss" [2, 1.9, 1.8, 1.7, 1.6, 1.5, 1.4, 1.3, 1.2, 1.1]',
        '  line "eval loss" [2.5, 2.5, 2.5, 2.5, 2.3, 2.1, 2, 1.9, 1.9, 1.9]',
        '```',
        '',
        'train loss: 10 points; eval loss: 3 points. Drawn at 10 evenly' +
          ' spaced steps, straight between points and level beyond the' +
          ' first and last.'
      ].join('\n')
    )
  })

  it.each([2, 3, 50, 200, 1000, 100_000])(
    'never draws more points than a curve cap of %i',
    async cap => {
      const curve: LossCurve = {
        train: points(5000, i => ({ step: i + 1, value: 1 / (i + 1) })),
        eval: points(50, i => ({ step: (i + 1) * 100, value: 2 / (i + 1) })),
        cap,
        seen: { train: 5000, eval: 50 }
      }
      const summary = renderJobSummary(report({ curve }))
      const [chart, ...others] = mermaidBlocks(summary)

      expect(others).toHaveLength(0)
      const lines = chartLines(chart!)
      expect(lines).toHaveLength(2)
      for (const values of lines) {
        expect(values.length).toBeLessThanOrEqual(cap)
        expect(values.length).toBeGreaterThanOrEqual(2)
        expect(values.every(Number.isFinite)).toBe(true)
      }
      await expect(parseMermaid(chart!)).resolves.toBeTruthy()
    }
  )

  it.each<[string, number[]]>([
    ['tiny values', [1e-9, 2.5e-12, 3e-7]],
    ['huge values', [1e25, 3.3e21, 7e20]],
    ['negative values', [-0.5, -1e-8, 2]]
  ])(
    'writes %s as plain decimals that Mermaid reads',
    async (_name, values) => {
      const curve: LossCurve = {
        ...NO_CURVE,
        train: values.map((value, i) => ({ step: i + 1, value }))
      }
      const [chart] = mermaidBlocks(renderJobSummary(report({ curve })))

      expect(chart).not.toMatch(/\d[eE]/)
      const [drawn] = chartLines(chart!)
      values.forEach((value, i) => {
        expect(drawn![i]).toBeCloseTo(value, 5)
        expect(Math.abs(drawn![i]! - value)).toBeLessThanOrEqual(
          Math.abs(value) * 1e-4
        )
      })
      await expect(parseMermaid(chart!)).resolves.toBeTruthy()
    }
  )

  it('draws the real 2023 log as a chart Mermaid reads', async () => {
    const log = readFileSync(join(FIXTURES, 'sft-2023-excerpt.txt'), 'utf8')
    const reader = readLog(log.split('\n'))
    const summary = renderJobSummary(report({ curve: reader.curve }))
    const [chart] = mermaidBlocks(summary)

    expect(chart).toContain('x-axis "step" 5 --> 122')
    const [train, evals] = chartLines(chart!)
    expect(train).toHaveLength(118)
    expect([train![0], train![5], train![117]]).toEqual([6.175, 6.25, 6.175])
    expect([evals![5], evals![117]]).toEqual([6.2675, 6.1887])
    await expect(parseMermaid(chart!)).resolves.toBeTruthy()
  })

  it('renders a 1,000-step run as a table and a chart within the cap', async () => {
    const summary = renderJobSummary(simulatedReport(1000))
    const html = toHtml(summary)
    console.log(
      `1,000-step summary: ${Buffer.byteLength(summary)} bytes of Markdown, ` +
        `${Buffer.byteLength(html)} bytes of HTML`
    )

    expect(html).toContain('<table>')
    expect(html.match(/<tr>/g)).toHaveLength(13)
    expect(html).toContain('<td>Train loss</td>\n<td>0.8123</td>')
    expect(html).toContain('<td>Token usage</td>\n<td>2,048,000</td>')
    expect(html).toContain('<td>Steps</td>\n<td>1,000 of 1,000</td>')
    expect(html).toContain(
      '<td>Final checkpoint</td>\n<td>checkpoint-1000</td>'
    )
    expect(html).toContain('<pre><code class="language-mermaid">')

    const [chart] = mermaidBlocks(summary)
    const lines = chartLines(chart!)
    expect(lines).toHaveLength(2)
    for (const values of lines) expect(values).toHaveLength(200)
    await expect(parseMermaid(chart!)).resolves.toBeTruthy()
  })

  const attacks: [string, string, string][] = [
    ['a script tag', '<script>alert(1)</script>', '<script>alert(1)</script>'],
    [
      'an image tag',
      '<img src=x onerror=alert(1)>',
      '<img src=x onerror=alert(1)>'
    ],
    ['table pipes', 'a | b | c', 'a | b | c'],
    ['a code fence', '```', '```'],
    ['a longer code fence', '````` x', '````` x'],
    [
      'a closing details tag',
      '</details><details open>',
      '</details><details open>'
    ],
    ['a link', '[click](javascript:alert(1))', '[click](javascript:alert(1))'],
    [
      'an image',
      '![x](https://example.invalid/x.png)',
      '![x](https://example.invalid/x.png)'
    ],
    ['emphasis and math', '**b** _e_ ~~d~~ $x^2$', '**b** _e_ ~~d~~ $x^2$'],
    ['an escaped entity', '&lt;b&gt; &amp;', '&lt;b&gt; &amp;'],
    ['a backslash escape', '\\<b\\>', '\\<b\\>'],
    ['a line break and a heading', 'one\n# two\r\n| x |', 'one # two | x |'],
    ['colour codes', '\u001b[31mred\u001b[0m', 'red'],
    ['a bidi override', 'abc\u202edef', 'abcdef'],
    [
      'bare addresses',
      'see https://x.invalid, www.x.invalid, a@x.invalid',
      'see https://x.invalid, www.x.invalid, a@x.invalid'
    ],
    ['an emoji code', ':rocket: :+1:', ':rocket: :+1:']
  ]

  const allowedTags = new Set([
    'h2',
    'h3',
    'p',
    'strong',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'pre',
    'code'
  ])

  it.each(attacks)(
    'shows %s from the job and log as text only',
    (_name, attack, shownAs) => {
      const summary = renderJobSummary(
        report({
          jobId: attack,
          verdict: 'failed',
          reason: attack,
          status: attack,
          finetunedOutput: attack,
          metrics: { finalCheckpoint: attack },
          lastLines: ['before', attack, 'after']
        })
      )
      const html = toHtml(summary)

      const tags = [...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map(m => m[1])
      expect(tags.filter(tag => !allowedTags.has(tag!))).toEqual([])
      expect(html.match(/<h2>/g)).toHaveLength(1)
      expect(html.match(/<tr>/g)).toHaveLength(13)
      expect(html.match(/<td>/g)).toHaveLength(24)
      expect(html.match(/<pre>/g)).toHaveLength(1)

      const text = (pattern: RegExp) => decodeHtml(html.match(pattern)![1]!)
      expect(text(/<h2>Fine-tune job (.*): ❌ failed<\/h2>/)).toBe(shownAs)
      expect(text(/<strong>Reason:<\/strong> (.*)<\/p>/)).toBe(shownAs)
      expect(text(/<td>Status<\/td>\n<td>(.*)<\/td>/)).toBe(shownAs)
      expect(text(/<td>Finetuned output<\/td>\n<td>(.*)<\/td>/)).toBe(shownAs)
      expect(text(/<td>Final checkpoint<\/td>\n<td>(.*)<\/td>/)).toBe(shownAs)
      expect(text(/<code class="language-text">([\s\S]*)<\/code>/)).toBe(
        `before\n${shownAs}\nafter\n`
      )
    }
  )

  it('stays under 100 KiB whatever the job and log hold', () => {
    const huge = '|<`&'.repeat(250_000)
    const summary = renderJobSummary(
      report({
        jobId: huge,
        verdict: 'failed',
        reason: huge,
        status: huge,
        finetunedOutput: huge,
        metrics: { finalCheckpoint: huge },
        curve: {
          train: points(1_000_000, i => ({ step: i, value: 1 + 1 / (i + 1) })),
          eval: points(1_000_000, i => ({ step: i, value: Math.PI / (i + 1) })),
          cap: 1_000_000,
          seen: { train: 1_000_000, eval: 1_000_000 }
        },
        lastLines: new Array<string>(100_000).fill('`'.repeat(1_000_000))
      })
    )
    const size = Buffer.byteLength(summary)
    console.log(`summary of a huge input: ${size} bytes`)
    expect(size).toBeLessThan(100 * 1024)
  })
})

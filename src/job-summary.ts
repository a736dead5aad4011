// The run's report as Markdown for the job summary page.
//
// Everything the job or its log said is untrusted: a log line can hold any
// text the training data or a failing script put there. It is escaped before
// it reaches Markdown, so it can neither open HTML nor change the structure
// of the page (a table row, a code block, a link), and every piece of it is
// capped, so the summary stays far under GitHub's 1 MiB limit per step
// whatever the log holds.

import { formatDuration } from './clock.js'
import { shorten } from './shorten.js'
import type { LossCurve, LossPoint } from './loss-curve.js'
import type { RunReport, Verdict } from './run-report.js'

// The caps, counted in characters of the source text. Escaping can make a
// character six (`|` becomes `&#124;`), so the worst case is the heading and
// 3 text cells at 200 * 6, the reason at 1,000 * 6, 40 log lines of 300 (code
// is not escaped, only fenced) and a chart of 2 * 500 numbers: about 32 KB,
// against GitHub's limit of 1 MiB for a step's summary. A run keeps only 20
// last lines, but this renderer caps whatever report it is given.
const MAX_CELL_CHARS = 200
const MAX_REASON_CHARS = 1000
const MAX_LAST_LINES = 40
const MAX_LINE_CHARS = 300
// A reader can be made with a larger curve cap than the default; the chart
// never draws more points than this, whatever the cap.
const MAX_CHART_POINTS = 500

const UNKNOWN = '—'

const VERDICTS: Record<Verdict, string> = {
  succeeded: '✅ succeeded',
  failed: '❌ failed',
  'timed-out': '⏱️ timed out',
  cancelled: '🛑 cancelled'
}

export function renderJobSummary(report: RunReport): string {
  const { metrics } = report
  const verdict = VERDICTS[report.verdict] ?? escapeInline(report.verdict, 40)
  const parts: string[] = [
    `## Fine-tune job ${escapeInline(report.jobId, MAX_CELL_CHARS)}: ${verdict}`
  ]

  if (report.verdict !== 'succeeded' && report.reason) {
    parts.push(`**Reason:** ${escapeInline(report.reason, MAX_REASON_CHARS)}`)
  }

  const steps =
    metrics.step === undefined
      ? UNKNOWN
      : metrics.maxSteps === undefined
        ? formatCount(metrics.step)
        : `${formatCount(metrics.step)} of ${formatCount(metrics.maxSteps)}`
  const runtime =
    metrics.trainRuntimeSeconds === undefined
      ? UNKNOWN
      : formatWallTime(metrics.trainRuntimeSeconds * 1000)
  const facts: [string, string][] = [
    ['Status', text(report.status)],
    ['Finetuned output', text(report.finetunedOutput)],
    ['Train loss', formatDecimal(metrics.trainLoss)],
    ['Eval loss', formatDecimal(metrics.evalLoss)],
    ['Token usage', formatCount(report.tokenUsage)],
    ['Epoch', formatDecimal(metrics.epoch)],
    ['Train runtime', runtime],
    ['Final checkpoint', text(metrics.finalCheckpoint)],
    ['Steps', steps],
    ['Log lines', formatCount(report.logLines)],
    ['Duration', formatWallTime(report.durationMs)],
    ['Retries', formatCount(report.retries)]
  ]
  parts.push(
    ['| Fact | Value |', '| --- | --- |']
      .concat(facts.map(([name, value]) => `| ${name} | ${value} |`))
      .join('\n')
  )

  const chart = renderLossChart(report.curve)
  if (chart) parts.push('### Loss by step', chart)

  if (report.verdict !== 'succeeded' && report.lastLines.length > 0) {
    const shown = report.lastLines.slice(-MAX_LAST_LINES)
    const title =
      shown.length < report.lastLines.length
        ? `### Last ${shown.length} log lines`
        : '### Last log lines'
    parts.push(title, codeBlock(shown.map(cleanLogLine), 'text'))
  }

  return parts.join('\n\n') + '\n'
}

function text(value: string | undefined): string {
  return value === undefined || value === ''
    ? UNKNOWN
    : escapeInline(value, MAX_CELL_CHARS)
}

// ---------------------------------------------------------------------------
// The loss chart

/**
 * Draws the curve as a Mermaid `xychart-beta`, or returns undefined when no
 * series has two points to draw a line through.
 *
 * An xychart puts the n values of every line at n evenly spaced places of one
 * numeric x-axis, and cannot leave gaps. So both series are resampled on one
 * grid of steps from the first step drawn to the last: one place per step
 * while the run has no more steps than the cap allows, which puts every
 * logged point exactly on the grid. Between its points a series is
 * interpolated; beyond its first or last point it is held level.
 */
function renderLossChart(curve: LossCurve): string | undefined {
  const series = [
    {
      name: 'train loss',
      points: drawable(curve.train),
      seen: curve.seen.train
    },
    { name: 'eval loss', points: drawable(curve.eval), seen: curve.seen.eval }
  ].filter(s => s.points.length >= 2)
  const first = Math.min(...series.map(s => s.points[0]?.step ?? Infinity))
  const last = Math.max(...series.map(s => s.points.at(-1)?.step ?? -Infinity))
  if (series.length === 0 || !(first < last)) return undefined

  const cap = Math.min(
    Number.isFinite(curve.cap) ? Math.floor(curve.cap) : 0,
    MAX_CHART_POINTS
  )
  if (cap < 2) return undefined
  const places = Math.max(2, Math.min(cap, Math.floor(last - first) + 1))
  const grid = Array.from(
    { length: places },
    (_, i) => first + ((last - first) * i) / (places - 1)
  )

  const lines = [
    'xychart-beta',
    `  x-axis "step" ${plainNumber(first)} --> ${plainNumber(last)}`,
    '  y-axis "loss"'
  ]
  for (const s of series) {
    const values = grid.map(x => plainNumber(valueAt(s.points, x)))
    lines.push(`  line "${s.name}" [${values.join(', ')}]`)
  }

  const counts = series.map(s => {
    const kept = formatCount(s.points.length)
    return s.seen > s.points.length
      ? `${s.name}: ${kept} of ${formatCount(s.seen)} points kept`
      : `${s.name}: ${kept} points`
  })
  const caption =
    `${counts.join('; ')}. Drawn at ${formatCount(places)} evenly spaced ` +
    'steps, straight between points and level beyond the first and last.'
  return `${codeBlock(lines, 'mermaid')}\n\n${caption}`
}

// The recorder keeps finite points in step order already; a report built
// some other way is checked here rather than trusted.
function drawable(points: LossPoint[]): LossPoint[] {
  const finite = points.filter(
    p => Number.isFinite(p.step) && Number.isFinite(p.value)
  )
  return finite.sort((a, b) => a.step - b.step)
}

/** The series' value at a step, by straight lines between its points. */
function valueAt(points: LossPoint[], x: number): number {
  let lo = 0
  let hi = points.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((points[mid]?.step ?? Infinity) < x) lo = mid + 1
    else hi = mid
  }
  const after = points[lo]
  const before = points[lo - 1]
  if (!after) return before?.value ?? NaN
  if (!before || after.step === x) return after.value
  const t = (x - before.step) / (after.step - before.step)
  return before.value + (after.value - before.value) * t
}

// Mermaid's xychart grammar takes plain decimals only: `1e-5` is a syntax
// error there. Intl never switches to exponent notation. Five digits are
// finer than any chart's pixels and keep the block short.
// Made on first use: the first Intl formatter loads locale data, about 10 ms
// that would otherwise delay the first request of every run.
let plain: Intl.NumberFormat | undefined

function plainNumber(value: number): string {
  return (plain ??= new Intl.NumberFormat('en-US', {
    useGrouping: false,
    maximumSignificantDigits: 5
  })).format(value)
}

// ---------------------------------------------------------------------------
// Text

function formatDecimal(value: number | undefined): string {
  if (value === undefined) return UNKNOWN
  // NaN or Infinity is worth showing: it says that training diverged.
  if (!Number.isFinite(value)) return String(value)
  return String(Number(value.toPrecision(6)))
}

function formatCount(value: number | undefined): string {
  if (value === undefined) return UNKNOWN
  if (!Number.isFinite(value)) return String(value)
  return value.toLocaleString('en-US', { maximumFractionDigits: 2 })
}

/** A wall time as `3 min 36 s`, or `—` when it is not a time. */
function formatWallTime(ms: number): string {
  return Number.isFinite(ms) && ms >= 0 ? formatDuration(ms) : UNKNOWN
}

// Colour codes, control characters and the bidirectional overrides that can
// make text read differently than it is stored are dropped from remote text.
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/g
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g

function cleanText(value: string, max: number): string {
  const clean = shorten(value, max * 2)
    .replace(ANSI_ESCAPE, '')
    .replace(LINE_BREAK, ' ')
    .replace(CONTROL, ' ')
    .replace(BIDI, '')
  return shorten(clean, max)
}

/** Cuts to `max` characters with an ellipsis, never inside a UTF-16 pair. */
// Every character that can start inline Markdown or HTML becomes a numeric
// character reference, which renders as the character and means nothing
// else: `<` and `&` (tags, entities), `|` (a table cell), `` ` `` (code),
// `[ ] !` (links, images), `* _ ~` (emphasis), `$` (math), `\`, and `:` and
// `@`, from which GitHub would make links of bare addresses (`https:`,
// `a@b.io`) and emoji of `:name:`. The dot of `www.` goes for the same reason.
const INLINE_SPECIAL = /[&<>"'|`[\]!*_~$\\:@]|(?<=www)\./gi

/** Remote text made safe for one line of Markdown, such as a table cell. */
function escapeInline(value: string, max: number): string {
  return cleanText(value, max).replace(
    INLINE_SPECIAL,
    c => `&#${c.charCodeAt(0)};`
  )
}

function cleanLogLine(line: string): string {
  // Tabs survive cleaning: the 2023 trainer separates its fields with one.
  return cleanText(String(line), MAX_LINE_CHARS)
}

/**
 * A fenced code block that its content cannot close: the fence is one
 * backtick longer than the longest run of backticks inside. Nothing inside a
 * code block is read as Markdown or HTML, so `<` needs no escaping there.
 */
function codeBlock(lines: string[], info: string): string {
  let longest = 0
  for (const line of lines) {
    for (const run of line.match(/`+/g) ?? []) {
      longest = Math.max(longest, run.length)
    }
  }
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return [`${fence}${info}`, ...lines, fence].join('\n')
}

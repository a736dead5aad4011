// Training metrics, read from a fine-tuning job's log one line at a time.
//
// The trainer prints Python dict reprs, the 2023 trainer printed tab-separated
// `key: value` lists, and the pipeline writes a few plain sentences. Nothing
// here evaluates what it reads: Python literals go through a small scanner
// that understands only the shapes a trainer prints and skips everything else.
//
// `read` is called for every line of logs that can run to a million lines, so
// a line is parsed only when a `{` or one of a few keywords shows it can
// carry a metric. The reader holds scalars and a bounded
// loss curve, never the lines themselves.

import {
  DEFAULT_CURVE_CAP,
  LossCurveRecorder,
  type LossCurve
} from './loss-curve.js'

export type { LossCurve, LossPoint, LossSeries } from './loss-curve.js'

export interface TrainingMetrics {
  /** The closing `train_loss` if seen, else the last per-step `loss`. */
  trainLoss?: number
  /** The last `eval_loss` (`evaluation/loss` in the 2023 format). */
  evalLoss?: number
  /** From the pipeline's `training usage N` line. */
  trainingUsage?: number
  /** The last `Actual number of consumed tokens is N`. */
  consumedTokens?: number
  epoch?: number
  trainRuntimeSeconds?: number
  /** As in ` use checkpoint-3 as final checkpoint`: `checkpoint-3`. */
  finalCheckpoint?: string
  /** The last global step seen, else how many per-step losses were read. */
  step?: number
  maxSteps?: number
}

/**
 * The tokens billed for a job, by the most trusted source available: the
 * pipeline's `training usage` line, then the job object's `usage` (0 on a job
 * canceled early, so only a positive count is taken), then the last consumed
 * tokens sentence (which differs from `usage` on video jobs).
 */
export function tokenUsage(
  metrics: TrainingMetrics,
  jobUsage?: number
): number | undefined {
  if (metrics.trainingUsage !== undefined) return metrics.trainingUsage
  if (jobUsage !== undefined && Number.isFinite(jobUsage) && jobUsage > 0) {
    return jobUsage
  }
  return metrics.consumedTokens
}

// A trainer's line is a few hundred characters. A far longer one is something
// else (a dumped sample, a stack of base64) and would only cost time to scan.
const MAX_LINE_LENGTH = 64 * 1024

// A prefix before the dict might hold a brace of its own; a few tries cover
// that without rescanning a hostile line of braces many times over.
const MAX_DICT_TRIES = 3

const TRAINING_USAGE = /training usage:? ?(\d{1,20})(?!\d)/
const CONSUMED_TOKENS = /consumed tokens is (\d{1,20})(?!\d)/
// The name becomes an output that later steps may put in a path or a
// command, so only the characters a checkpoint name needs are taken.
const FINAL_CHECKPOINT = /\buse ([A-Za-z0-9._/-]{1,200}) as final checkpoint/
const STEP_OF_MAX = /^\s*(\d{1,15})\s*\/\s*(\d{1,15})\s*$/
// `epoch [1][5/13]`: epoch 1 (counted from 1), iteration 5 of its 13.
const EPOCH_2023 = /epoch \[(\d{1,9})\]\[(\d{1,9})\/(\d{1,9})\]/
const EVAL_2023 = /epoch\(eval\) \[\d{1,9}\]/

// TODO: parse on a worker thread. Reading every trainer line here is about
// a third of the action's CPU time when it catches up on a long log, which
// keeps catch-up near two thirds of a bare client's speed (npm run bench)
// instead of the 70% aimed for.
export class MetricsReader {
  private readonly recorder: LossCurveRecorder

  private lastStepLoss: number | undefined
  private closingTrainLoss: number | undefined
  private evalLoss: number | undefined
  private trainingUsage: number | undefined
  private consumedTokens: number | undefined
  private epoch: number | undefined
  private trainRuntimeSeconds: number | undefined
  private finalCheckpoint: string | undefined
  private globalStep: number | undefined
  private maxSteps: number | undefined
  private stepLosses = 0
  private evalLosses = 0

  /** @param curveCap the most points kept per loss series */
  constructor(curveCap = DEFAULT_CURVE_CAP) {
    this.recorder = new LossCurveRecorder(curveCap)
  }

  /** Reads one raw log line. Lines that carry no metric are skipped. */
  read(line: string): void {
    try {
      this.readLine(line)
    } catch {
      // The scanner is written not to throw; this is the last guard, because
      // one odd line must never stop the action from following the job.
    }
  }

  get metrics(): TrainingMetrics {
    const metrics: TrainingMetrics = {
      trainLoss: this.closingTrainLoss ?? this.lastStepLoss,
      evalLoss: this.evalLoss,
      trainingUsage: this.trainingUsage,
      consumedTokens: this.consumedTokens,
      epoch: this.epoch,
      trainRuntimeSeconds: this.trainRuntimeSeconds,
      finalCheckpoint: this.finalCheckpoint,
      step: this.currentStep(),
      maxSteps: this.maxSteps
    }
    // Only what was seen is present, so that `'evalLoss' in metrics` means
    // the log had one.
    for (const key of Object.keys(metrics) as (keyof TrainingMetrics)[]) {
      if (metrics[key] === undefined) delete metrics[key]
    }
    return metrics
  }

  get curve(): LossCurve {
    return this.recorder.snapshot()
  }

  private currentStep(): number | undefined {
    if (this.globalStep !== undefined) return this.globalStep
    return this.stepLosses > 0 ? this.stepLosses : undefined
  }

  private readLine(line: string): void {
    if (typeof line !== 'string' || line.length > MAX_LINE_LENGTH) return

    let brace = line.indexOf('{')
    for (let i = 0; brace !== -1 && i < MAX_DICT_TRIES; i++) {
      const fields = parsePyDict(line, brace)
      if (fields) {
        this.readDict(fields)
        return
      }
      brace = line.indexOf('{', brace + 1)
    }

    if (line.includes('epoch')) this.read2023(line)

    if (line.includes('consumed tokens')) {
      const match = CONSUMED_TOKENS.exec(line)
      if (match) this.consumedTokens = Number(match[1])
    }
    if (line.includes('training usage')) {
      const match = TRAINING_USAGE.exec(line)
      if (match) this.trainingUsage = Number(match[1])
    }
    if (line.includes('final checkpoint')) {
      const match = FINAL_CHECKPOINT.exec(line)
      if (match) this.finalCheckpoint = match[1]
    }
  }

  private readDict(fields: DictFields): void {
    let step: number | undefined
    const stepOfMax = fields['global_step/max_steps']
    const stepMatch =
      typeof stepOfMax === 'string' ? STEP_OF_MAX.exec(stepOfMax) : null
    if (stepMatch) {
      step = Number(stepMatch[1])
      this.maxSteps = Number(stepMatch[2])
    }
    const globalStep = fields.global_step
    if (isCount(globalStep)) step = globalStep
    const maxSteps = fields.max_steps
    if (isCount(maxSteps)) this.maxSteps = maxSteps
    if (step !== undefined) this.globalStep = step

    const loss = fields.loss
    if (typeof loss === 'number') this.addStepLoss(loss, step)

    const evalLoss = fields.eval_loss
    if (typeof evalLoss === 'number') this.addEvalLoss(evalLoss, step)

    const trainLoss = fields.train_loss
    if (typeof trainLoss === 'number') this.closingTrainLoss = trainLoss
    const epoch = fields.epoch
    if (typeof epoch === 'number') this.epoch = epoch
    const runtime = fields.train_runtime
    if (typeof runtime === 'number') this.trainRuntimeSeconds = runtime
  }

  // The 2023 trainer logs `epoch [E][I/N]\tlr: ..., loss: 6.1750, ...` for
  // training and `epoch(eval) [E][K]\t..., evaluation/loss: 6.2675` for
  // evaluation. It never prints a global step, so one is counted as
  // (E - 1) * N + I, assuming N iterations in every epoch; the epoch is kept
  // as progress, E - 1 + I / N, the way the newer trainer reports it.
  private read2023(line: string): void {
    if (EVAL_2023.test(line)) {
      const value = colonField(line, 'evaluation/loss')
      if (value !== undefined) this.addEvalLoss(value, undefined)
      return
    }

    const match = EPOCH_2023.exec(line)
    if (!match) return
    const epoch = Number(match[1])
    const iteration = Number(match[2])
    const perEpoch = Number(match[3])
    if (epoch < 1 || perEpoch < 1) return

    const step = (epoch - 1) * perEpoch + iteration
    this.globalStep = step
    this.epoch = epoch - 1 + iteration / perEpoch
    const loss = colonField(line, 'loss')
    if (loss !== undefined) this.addStepLoss(loss, step)
  }

  private addStepLoss(value: number, step: number | undefined): void {
    this.stepLosses++
    this.lastStepLoss = value
    this.recorder.add('train', value, step ?? this.stepLosses)
  }

  // An evaluation line seldom names its step; it belongs to the training step
  // reached when it was logged, which keeps it on the same axis as training.
  private addEvalLoss(value: number, step: number | undefined): void {
    this.evalLosses++
    this.evalLoss = value
    this.recorder.add(
      'eval',
      value,
      step ?? this.currentStep() ?? this.evalLosses
    )
  }
}

function isCount(value: PyValue): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/**
 * Finds `name: value` in a 2023 line, where fields are separated by a tab or
 * `, `. The name must start a field, so `loss` does not match the end of
 * `evaluation/loss`.
 */
function colonField(line: string, name: string): number | undefined {
  const needle = `${name}: `
  let at = line.indexOf(needle)
  while (at !== -1) {
    const before = at === 0 ? ' ' : line[at - 1]
    if (before === ' ' || before === '\t' || before === ',') {
      const start = at + needle.length
      let end = start
      while (end < line.length && !isFieldEnd(line.charCodeAt(end))) end++
      const value = pyWord(line.slice(start, end))
      return typeof value === 'number' ? value : undefined
    }
    at = line.indexOf(needle, at + 1)
  }
  return undefined
}

function isFieldEnd(code: number): boolean {
  return code === 0x2c || code === 0x20 || code === 0x09 // , space tab
}

// ---------------------------------------------------------------------------
// Python literals

/**
 * A Python literal as far as metrics need one. `undefined` stands for a value
 * that was skipped: a list, a nested dict, an object repr, a call not known.
 */
type PyValue = number | string | boolean | null | undefined

// Only these keys are kept, so a dict with many entries costs no more memory.
const WANTED_KEY_LIST = [
  'loss',
  'train_loss',
  'eval_loss',
  'epoch',
  'train_runtime',
  'global_step/max_steps',
  'global_step',
  'max_steps'
] as const
type WantedKey = (typeof WANTED_KEY_LIST)[number]
type DictFields = Record<WantedKey, PyValue>
const WANTED_KEYS = new Set<string>(WANTED_KEY_LIST)
// Wanted keys by length, so a key in a line is compared with one or two
// candidates instead of being copied out and looked up.
const WANTED_BY_LENGTH: WantedKey[][] = []
for (const key of WANTED_KEY_LIST)
  (WANTED_BY_LENGTH[key.length] ??= []).push(key)

function wantedKeyAt(
  src: string,
  from: number,
  length: number
): WantedKey | '' {
  const candidates = WANTED_BY_LENGTH[length]
  if (candidates) {
    for (const key of candidates) if (src.startsWith(key, from)) return key
  }
  return ''
}

function emptyFields(): DictFields {
  return {
    loss: undefined,
    train_loss: undefined,
    eval_loss: undefined,
    epoch: undefined,
    train_runtime: undefined,
    'global_step/max_steps': undefined,
    global_step: undefined,
    max_steps: undefined
  }
}

// NumPy scalars print as `np.float64(0.9)` since NumPy 2, and a loss left
// as a PyTorch tensor prints as `tensor(0.25, device='cuda:0')`.
const SCALAR_CALL =
  /^(?:(?:np|numpy)\.(?:float|int|uint)\d*|(?:torch\.)?tensor)$/
const SINGLE_QUOTE = 0x27
const DOUBLE_QUOTE = 0x22
const COMMA = 0x2c

/**
 * Parses the dict repr that opens at `start` (a `{`) and returns its wanted
 * entries, or undefined when the text there is not a whole dict. Anything
 * after the closing brace is ignored.
 */
function parsePyDict(src: string, start: number): DictFields | undefined {
  const scanner = new PyScanner(src, start + 1)
  const fields = emptyFields()

  scanner.skipSpaces()
  if (scanner.peek() === '}') return fields
  for (;;) {
    scanner.skipSpaces()
    const key = scanner.peekIsQuote() ? scanner.readKey() : undefined
    if (key === undefined) return undefined
    scanner.skipSpaces()
    if (scanner.peek() !== ':') return undefined
    scanner.advance()

    // Values of other keys are skipped unread: most of a trainer's dict is
    // throughput and memory figures that no metric needs.
    const wanted = key !== ''
    let value = wanted ? scanner.readValue() : undefined
    if (!wanted) scanner.skipValue()
    scanner.skipSpaces()
    let next = scanner.peek()
    if (next !== ',' && next !== '}') {
      // Something the scanner does not know follows a value it thought
      // whole, such as `1.0 if x`: drop the value, skip to the next entry.
      value = undefined
      scanner.skipValue()
      next = scanner.peek()
    }
    if (key !== '') fields[key] = value

    if (next === '}') return fields
    if (next !== ',') return undefined
    scanner.advance()
    scanner.skipSpaces()
    // Python never prints a trailing comma in a dict, but JSON-ish writers
    // and hand-made lines might.
    if (scanner.peek() === '}') return fields
  }
}

class PyScanner {
  // Where the next backslash is, searched once per stretch of the line rather
  // than once per string, which would be quadratic on a line of many strings.
  // -1 once there is none left.
  private backslash = -2

  constructor(
    private readonly src: string,
    private pos: number
  ) {}

  peek(): string | undefined {
    return this.src[this.pos]
  }

  peekIsQuote(): boolean {
    const c = this.src[this.pos]
    return c === "'" || c === '"'
  }

  advance(): void {
    this.pos++
  }

  skipSpaces(): void {
    while (this.pos < this.src.length) {
      const code = this.src.charCodeAt(this.pos)
      if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) {
        return
      }
      this.pos++
    }
  }

  /**
   * Reads a quoted key: the wanted key it is, '' for any other key, or
   * undefined when the quote never closes. A key without escapes is
   * compared in place, without slicing it out: this runs for every key of
   * every trainer line.
   */
  readKey(): WantedKey | '' | undefined {
    const src = this.src
    const from = this.pos + 1
    const end = src.indexOf(
      src.charCodeAt(this.pos) === DOUBLE_QUOTE ? '"' : "'",
      from
    )
    if (end !== -1) {
      if (this.backslash !== -1 && this.backslash < from) {
        this.backslash = src.indexOf('\\', from)
      }
      if (this.backslash === -1 || this.backslash > end) {
        this.pos = end + 1
        return wantedKeyAt(src, from, end - from)
      }
    }
    const key = this.readString()
    if (key === undefined) return undefined
    return WANTED_KEYS.has(key) ? (key as WantedKey) : ''
  }

  /** Reads a quoted string, or returns undefined if it never closes. */
  readString(): string | undefined {
    const src = this.src
    const quote = src.charCodeAt(this.pos)
    let out = ''
    let from = ++this.pos
    // A native search for the closing quote is many times faster than a
    // loop over characters, and strings are most of a trainer's dict.
    for (;;) {
      const end = src.indexOf(quote === DOUBLE_QUOTE ? '"' : "'", from)
      if (end === -1) {
        this.pos = src.length
        return undefined
      }
      if (this.backslash !== -1 && this.backslash < from) {
        this.backslash = src.indexOf('\\', from)
      }
      if (this.backslash === -1 || this.backslash > end) {
        this.pos = end + 1
        return out + src.slice(from, end)
      }
      // Keys and step strings never need escapes decoded; the escaped
      // character is kept as it is, which is enough to find the end.
      out += src.slice(from, this.backslash) + src.charAt(this.backslash + 1)
      from = this.backslash + 2
    }
  }

  readValue(): PyValue {
    this.skipSpaces()
    if (this.peekIsQuote()) return this.readString()

    const word = this.readWord()
    if (word === '') {
      this.skipValue()
      return undefined
    }
    this.skipSpaces()
    if (this.peek() !== '(') return pyWord(word)

    // A call: only a scalar wrapper is understood, by its first argument.
    this.advance()
    let value: PyValue
    if (SCALAR_CALL.test(word)) {
      this.skipSpaces()
      const inner = pyWord(this.readWord())
      if (typeof inner === 'number') value = inner
    }
    this.skipUntilClosed(1)
    return value
  }

  // Letters, digits and `_ . + -`: enough for numbers, `-inf`, `None` and
  // dotted names such as `np.float64`.
  private readWord(): string {
    const from = this.pos
    while (this.pos < this.src.length) {
      const code = this.src.charCodeAt(this.pos)
      const isWordChar =
        (code >= 0x30 && code <= 0x39) ||
        (code >= 0x41 && code <= 0x5a) ||
        (code >= 0x61 && code <= 0x7a) ||
        code === 0x5f ||
        code === 0x2e ||
        code === 0x2b ||
        code === 0x2d
      if (!isWordChar) break
      this.pos++
    }
    return this.src.slice(from, this.pos)
  }

  /**
   * Skips to the `,` or closing bracket that ends the current value, past
   * any nested brackets and strings. Depth is counted, not recursed, so a
   * line of ten thousand `[` cannot overflow the stack.
   */
  skipValue(): void {
    this.skipUntilClosed(0)
  }

  private skipUntilClosed(depth: number): void {
    const src = this.src
    while (this.pos < src.length) {
      const code = src.charCodeAt(this.pos)
      if (code === SINGLE_QUOTE || code === DOUBLE_QUOTE) {
        if (this.readString() === undefined) return
        continue
      }
      if (code === 0x28 || code === 0x5b || code === 0x7b) {
        depth++
      } else if (code === 0x29 || code === 0x5d || code === 0x7d) {
        if (depth === 0) return
        depth--
      } else if (code === COMMA && depth === 0) {
        return
      }
      this.pos++
    }
  }
}

const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39

/**
 * A plain decimal as Python prints it, `-1.5`, `.5`, `2.`, `1.2e-05`:
 * `[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?` checked by hand, because it runs
 * for every number of every trainer line and a regex costs more there.
 */
function isDecimal(word: string): boolean {
  let at = 0
  let code = word.charCodeAt(0)
  if (code === 0x2b || code === 0x2d) code = word.charCodeAt(++at)
  let digits = 0
  while (isDigit(code)) {
    digits++
    code = word.charCodeAt(++at)
  }
  if (code === 0x2e) {
    code = word.charCodeAt(++at)
    while (isDigit(code)) {
      digits++
      code = word.charCodeAt(++at)
    }
  }
  if (digits === 0) return false
  if (code === 0x65 || code === 0x45) {
    code = word.charCodeAt(++at)
    if (code === 0x2b || code === 0x2d) code = word.charCodeAt(++at)
    if (!isDigit(code)) return false
    while (isDigit(code)) code = word.charCodeAt(++at)
  }
  return at === word.length
}

/** Interprets a bare Python word: a number, `nan`, `inf`, `True`, `None`. */
function pyWord(word: string): PyValue {
  if (isDecimal(word)) return Number(word)
  switch (word.toLowerCase()) {
    case 'nan':
    case '+nan':
    case '-nan':
      return NaN
    case 'inf':
    case '+inf':
    case 'infinity':
      return Infinity
    case '-inf':
    case '-infinity':
      return -Infinity
    case 'true':
      return true
    case 'false':
      return false
    case 'none':
    case 'null':
      return null
    default:
      return undefined
  }
}

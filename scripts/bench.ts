// Measures the bundled action (`dist/index.js`) against what this machine
// can do at best, and prints one table: every figure beside a reference
// measured in the same run, with its target and whether it was met.
//
//   npm run bench
//
// The simulator runs in this process. Everything that is timed (the action,
// the bare reference client, `node -e 0`) runs as a child process started
// the same way and timed from spawn to exit by this process's clock, which
// is also the clock the simulator stamps requests and timeline steps with.
// A client in this process would share an event loop with the simulator and
// be measured against it rather than against the network.
//
// Children get a bare environment (PATH, HOME and the runner's variables)
// rather than this shell's: a variable such as NODE_EXTRA_CA_CERTS makes
// every Node process load certificates at start, which would hide the
// action's own start-up cost inside a larger constant.
//
// A run takes about a minute; one of its cases waits out a 15 s poll on
// purpose. The exit code is 0 even when a target is missed: the table is the
// result. It is 1 only when a run went wrong (the action failed, or a client
// read the wrong number of lines), because then no figure can be trusted.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PAGE_SIZE } from '../src/log-follower.js'
import { readLogFile, resolveLogFile } from '../src/simulator/log-source.js'
import type { JobScenario, TimelineStep } from '../src/simulator/scenario.js'
import { startSimulator, type Simulator } from '../src/simulator/server.js'
import {
  BUNDLE,
  prepareStepFiles,
  parseOutputsFile
} from './run-bundled-action.js'

const BARE_CLIENT = fileURLToPath(
  new URL('./bench/bare-client.mjs', import.meta.url)
)
const PEAK_RSS_PRELOAD = new URL('./bench/report-peak-rss.mjs', import.meta.url)
  .href

const API_KEY = 'sk-bench-0123456789abcdef'
const MB = 1024 * 1024

// The documented end of a successful job, ending with `##FT_COMPLETE##`, so
// that every run the benchmark makes is one the action passes.
const TAIL_FIXTURE = 'docs-sample-tail.txt'
const TAIL_LINES = readLogFile(
  resolveLogFile(TAIL_FIXTURE, process.cwd())
).length

const CATCH_UP_LINES = 1_000_000
const SMALL_LOG_LINES = 10_000
const LIVE_LOG_LINES = 1_000

// Timings on a shared machine wander by a tenth from one run to the next;
// the median of a few alternating runs is steadier than any single one.
const CATCH_UP_ROUNDS = 3
const START_UP_RUNS = 7

// The action's default, and a short one that a user in a hurry might pick.
const DEFAULT_POLL_S = 15
const SHORT_POLL_S = 1

// No child may outlive its case, whatever goes wrong in it.
const CHILD_TIME_LIMIT_MS = 60_000

/**
 * A trainer's per-step dict of about 100 characters, like the lines that
 * make up most of a long log. Every line goes through the metrics parser's
 * whole path: the worst case for the action, and the usual one.
 */
function trainerLine(count: number): string {
  return (
    "{'loss': 1.0423, 'learning_rate': 1.2e-05, 'epoch': 0.61, " +
    `'global_step/max_steps': '{n}/${count}'}`
  )
}

/** A finished job whose whole log, of `lines` lines, is there at once. */
function finishedJob(jobId: string, lines: number): JobScenario {
  const generated = lines - TAIL_LINES
  return {
    jobId,
    generate: { count: generated, template: trainerLine(generated) },
    thenFile: TAIL_FIXTURE,
    timeline: [{ status: 'SUCCEEDED' }]
  }
}

/**
 * A running job whose last line, the marker, arrives together with the
 * SUCCEEDED status `markerAtMs` after the simulator started.
 */
function liveJob(jobId: string, markerAtMs: number): JobScenario {
  const generated = LIVE_LOG_LINES - TAIL_LINES
  const timeline: TimelineStep[] = [
    { status: 'RUNNING', visibleLines: -1 },
    { status: 'SUCCEEDED', after: { ms: markerAtMs } }
  ]
  return {
    jobId,
    generate: { count: generated, template: trainerLine(generated) },
    thenFile: TAIL_FIXTURE,
    timeline
  }
}

// --- Children -------------------------------------------------------------

const children = new Set<ChildProcess>()
const simulators = new Set<Simulator>()

interface ChildRun {
  /** `performance.now()` just before the spawn. */
  startedAt: number
  /** When the process ended, on the same clock. */
  exitedAt: number
  wallMs: number
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdoutBytes: number
  stdoutLines: number
  /** The last few kilobytes of standard output, for checks and errors. */
  stdoutEnd: string
  stderr: string
  /** Only when asked for. */
  peakRssBytes?: number
}

interface ChildOptions {
  /** Added to the bare environment every child gets. */
  env?: Record<string, string>
  /** Report the process's peak resident set size. */
  peakRss?: boolean
}

const KEPT_OUTPUT_BYTES = 4096

/**
 * Runs `node ...args` and reads its standard output as a runner does: as
 * it comes, as raw bytes, counting lines and keeping only the end. Decoding
 * or keeping 100 MB of text here would make this process the bottleneck.
 */
async function runNode(
  args: string[],
  options: ChildOptions = {}
): Promise<ChildRun> {
  const folder = mkdtempSync(join(tmpdir(), 'ft-gate-bench-'))
  const peakRssPath = join(folder, 'peak-rss')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? folder,
    ...options.env
  }
  const nodeArgs: string[] = []
  if (options.peakRss) {
    env.BENCH_PEAK_RSS_FILE = peakRssPath
    nodeArgs.push('--import', PEAK_RSS_PRELOAD)
  }

  try {
    const run = await new Promise<ChildRun>((resolve, reject) => {
      const startedAt = performance.now()
      const child = spawn(process.execPath, [...nodeArgs, ...args], {
        env,
        stdio: ['ignore', 'pipe', 'pipe']
      })
      children.add(child)

      let exitedAt = 0
      let stdoutBytes = 0
      let stdoutLines = 0
      let stdoutEnd = Buffer.alloc(0)
      let stderr = ''

      child.stdout?.on('data', (chunk: Buffer) => {
        stdoutBytes += chunk.length
        for (let at = chunk.indexOf(10); at !== -1;) {
          stdoutLines++
          at = chunk.indexOf(10, at + 1)
        }
        stdoutEnd = Buffer.concat([stdoutEnd, chunk]).subarray(
          -KEPT_OUTPUT_BYTES
        )
      })
      child.stderr?.setEncoding('utf8')
      child.stderr?.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-KEPT_OUTPUT_BYTES)
      })

      const killer = setTimeout(
        () => child.kill('SIGKILL'),
        CHILD_TIME_LIMIT_MS
      )
      child.on('error', error => {
        clearTimeout(killer)
        children.delete(child)
        reject(error)
      })
      // The process's end is when it exited; the run is over once its
      // output has also been read to the end.
      child.on('exit', () => {
        exitedAt = performance.now()
      })
      child.on('close', (exitCode, signal) => {
        clearTimeout(killer)
        children.delete(child)
        resolve({
          startedAt,
          exitedAt,
          wallMs: exitedAt - startedAt,
          exitCode,
          signal,
          stdoutBytes,
          stdoutLines,
          stdoutEnd: stdoutEnd.toString('utf8'),
          stderr
        })
      })
    })
    if (options.peakRss && run.exitCode !== null) {
      run.peakRssBytes = Number(readFileSync(peakRssPath, 'utf8'))
    }
    return run
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

interface BenchSimulator {
  simulator: Simulator
  /** The simulator's start, on this process's clock. */
  startedAt: number
  /** The API base URL, as the action's `base-url` input takes it. */
  baseUrl: string
  /** When each request arrived, on this process's clock. */
  arrivals(): number[]
}

async function simulate(job: JobScenario): Promise<BenchSimulator> {
  // The simulator reads its clock first to stamp its own start; catching
  // that reading puts its timeline on this process's clock exactly.
  let startedAt: number | undefined
  const simulator = await startSimulator(job, {
    now: () => {
      const now = performance.now()
      startedAt ??= now
      return now
    }
  })
  simulators.add(simulator)
  const start = startedAt as number
  return {
    simulator,
    startedAt: start,
    baseUrl: `${simulator.url}/api/v1`,
    arrivals: () => simulator.requests.map(request => start + request.at)
  }
}

/** Runs `use` against a fresh simulator for `job`, then closes it. */
async function withSimulator<T>(
  job: JobScenario,
  use: (bench: BenchSimulator) => Promise<T>
): Promise<T> {
  const bench = await simulate(job)
  try {
    return await use(bench)
  } finally {
    simulators.delete(bench.simulator)
    await bench.simulator.close()
  }
}

interface ActionRun extends ChildRun {
  outputs: Record<string, string>
  /** Requests the simulator received during the run. */
  requests: number
}

/**
 * Starts the bundled action as a runner does: `node dist/index.js`, inputs
 * in `INPUT_*` variables, outputs and summary written to files. The shared
 * starter in run-bundled-action.ts keeps all output as one string, which
 * for a million lines would make this process the bottleneck.
 */
async function runAction(
  bench: BenchSimulator,
  inputs: Record<string, string>,
  options: { peakRss?: boolean } = {}
): Promise<ActionRun> {
  const step = prepareStepFiles({
    'api-key': API_KEY,
    'base-url': bench.baseUrl,
    ...inputs
  })
  try {
    const run = await runNode([BUNDLE], {
      env: step.env,
      peakRss: options.peakRss
    })
    return {
      ...run,
      outputs: parseOutputsFile(step.read().outputsFile),
      requests: bench.simulator.requests.length
    }
  } finally {
    step.remove()
  }
}

/** The bare client, paging the job's whole log once. */
async function runBareClient(
  bench: BenchSimulator,
  jobId: string,
  lines: number
): Promise<ChildRun> {
  const run = await runNode(
    [BARE_CLIENT, bench.baseUrl, jobId, API_KEY, String(PAGE_SIZE)],
    { peakRss: true }
  )
  expect(
    run.exitCode === 0 && run.stdoutEnd.trim() === String(lines),
    `the bare client should have read ${lines} lines`,
    run
  )
  return run
}

/** Stops the benchmark when a run did not do what it was meant to. */
function expect(condition: boolean, what: string, run?: ChildRun): void {
  if (condition) return
  const details = run
    ? `\n(exit code ${run.exitCode}, signal ${run.signal})\n` +
      `stderr: ${run.stderr.trim()}\nend of stdout: ${run.stdoutEnd.trim()}`
    : ''
  throw new Error(`The benchmark run is invalid: ${what}.${details}`)
}

function expectPassed(run: ActionRun, lines: number, what: string): void {
  expect(
    run.exitCode === 0 &&
      run.outputs.status === 'SUCCEEDED' &&
      run.outputs['log-lines'] === String(lines),
    `the action should have passed ${what} after reading ${lines} lines, ` +
      `but set status=${run.outputs.status} log-lines=` +
      `${run.outputs['log-lines']}`,
    run
  )
}

// --- Figures --------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
const millis = (ms: number): string => `${ms.toFixed(0)} ms`
const megabytes = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`
const thousands = (n: number): string => Math.round(n).toLocaleString('en-US')
const lineCount = (n: number): string =>
  n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`

interface Row {
  measure: string
  action: string
  reference: string
  /** The figure compared and the target it is compared with. */
  ratio: string
  met: boolean
}

interface Section {
  rows: Row[]
  /** Said below the table: how a figure came about. */
  notes: string[]
}

/** Process start to first request, beside a bare Node start, interleaved. */
async function measureStartUp(): Promise<Section & { actionMs: number }> {
  const bareNode: number[] = []
  const action: number[] = []
  for (let run = 0; run < START_UP_RUNS; run++) {
    bareNode.push((await runNode(['-e', '0'])).wallMs)

    const jobId = 'ft-bench-start-up'
    await withSimulator(finishedJob(jobId, TAIL_LINES), async bench => {
      // A short poll lets each run end soon after its first request.
      const result = await runAction(bench, {
        'job-id': jobId,
        'poll-interval': '0.05'
      })
      expectPassed(result, TAIL_LINES, 'the start-up job')
      action.push((bench.arrivals()[0] as number) - result.startedAt)
    })
  }

  const actionMs = median(action)
  const bareMs = median(bareNode)
  const ratio = actionMs / bareMs
  return {
    actionMs,
    rows: [
      {
        measure: 'start-up: spawn to 1st request',
        action: millis(actionMs),
        reference: `${millis(bareMs)} node -e 0`,
        ratio: `${ratio.toFixed(2)}× / ≤ 2×`,
        met: ratio <= 2
      }
    ],
    notes: [
      `start-up: medians of ${START_UP_RUNS} interleaved runs; node -e 0 ` +
        'is timed from spawn to exit.'
    ]
  }
}

interface Paging {
  wallMs: number
  peakRss: number
  /** The action's runs only. */
  requests?: number
}

/**
 * Pages a finished job of `lines` lines with the action and with the bare
 * client, alternately, `rounds` times each, each run against a fresh
 * simulator. Times are medians; memory and requests are the highest seen.
 */
async function pageBoth(
  lines: number,
  rounds: number
): Promise<{ action: Paging; bare: Paging; echoedBytes: number }> {
  const jobId = `ft-bench-${lines}`
  const bare: ChildRun[] = []
  const action: ActionRun[] = []
  for (let round = 0; round < rounds; round++) {
    bare.push(
      await withSimulator(finishedJob(jobId, lines), bench =>
        runBareClient(bench, jobId, lines)
      )
    )
    const run = await withSimulator(finishedJob(jobId, lines), bench =>
      runAction(bench, { 'job-id': jobId }, { peakRss: true })
    )
    expectPassed(run, lines, `a job of ${lines} lines`)
    expect(
      run.stdoutLines >= lines,
      `the action should have printed at least ${lines} lines, ` +
        `not ${run.stdoutLines}`,
      run
    )
    action.push(run)
  }

  const peak = (runs: ChildRun[]): number =>
    Math.max(...runs.map(run => run.peakRssBytes ?? NaN))
  return {
    action: {
      wallMs: median(action.map(run => run.wallMs)),
      peakRss: peak(action),
      requests: Math.max(...action.map(run => run.requests))
    },
    bare: { wallMs: median(bare.map(run => run.wallMs)), peakRss: peak(bare) },
    echoedBytes: (action[0] as ActionRun).stdoutBytes
  }
}

/** A job with a million lines when the action starts, and one of 10,000. */
async function measureCatchUpAndMemory(): Promise<Section> {
  const big = await pageBoth(CATCH_UP_LINES, CATCH_UP_ROUNDS)
  const small = await pageBoth(SMALL_LOG_LINES, CATCH_UP_ROUNDS)

  const actionRate = CATCH_UP_LINES / (big.action.wallMs / 1000)
  const bareRate = CATCH_UP_LINES / (big.bare.wallMs / 1000)
  const speed = actionRate / bareRate

  const requests = big.action.requests as number
  // Every page, and one status read to learn that the job has ended.
  const fewest = Math.ceil(CATCH_UP_LINES / PAGE_SIZE) + 1
  const excess = requests / fewest

  const growth = big.action.peakRss / small.action.peakRss
  const limit = 100 * MB
  const bareGrowth = big.bare.peakRss / small.bare.peakRss
  const catchUp = `catch-up, ${lineCount(CATCH_UP_LINES)} lines`

  return {
    rows: [
      {
        measure: `${catchUp}: wall time`,
        action: seconds(big.action.wallMs),
        reference: `${seconds(big.bare.wallMs)} bare client`,
        ratio: `${(speed * 100).toFixed(0)}% of bare / ≥ 70%`,
        met: speed >= 0.7
      },
      {
        measure: `${catchUp}: lines/s`,
        action: thousands(actionRate),
        reference: `${thousands(bareRate)} bare client`,
        ratio: `${(speed * 100).toFixed(0)}% of bare / ≥ 70%`,
        met: speed >= 0.7
      },
      {
        measure: `${catchUp}: requests`,
        action: thousands(requests),
        reference: `${thousands(fewest)} fewest`,
        ratio: `+${((excess - 1) * 100).toFixed(1)}% / ≤ +1%`,
        met: excess <= 1.01
      },
      {
        measure: `peak RSS, ${lineCount(SMALL_LOG_LINES)} lines`,
        action: megabytes(small.action.peakRss),
        reference: `${megabytes(small.bare.peakRss)} bare client`,
        ratio:
          `${((small.action.peakRss / limit) * 100).toFixed(0)}% ` +
          'of 100 MB / < 100%',
        met: small.action.peakRss < limit
      },
      {
        measure: `peak RSS, ${lineCount(CATCH_UP_LINES)} lines`,
        action: megabytes(big.action.peakRss),
        reference: `${megabytes(big.bare.peakRss)} bare client`,
        ratio:
          `${((big.action.peakRss / limit) * 100).toFixed(0)}% ` +
          'of 100 MB / < 100%',
        met: big.action.peakRss < limit
      },
      {
        measure:
          `peak RSS growth, ${lineCount(SMALL_LOG_LINES)} to ` +
          `${lineCount(CATCH_UP_LINES)}`,
        action: `${growth.toFixed(2)}×`,
        reference: `${bareGrowth.toFixed(2)}× bare client`,
        ratio: `${growth.toFixed(2)}× / ≤ 1.3×`,
        met: growth <= 1.3
      }
    ],
    notes: [
      `catch-up and memory: ${CATCH_UP_ROUNDS} alternating runs each of ` +
        'the action and the bare client, a fresh simulator for every run; ' +
        'times are medians, peaks and requests the highest. The action ' +
        `echoed ${megabytes(big.echoedBytes)} for the big log.`
    ]
  }
}

/**
 * From the marker's arrival at the simulator to the action's exit, for a
 * job that is still running when the action starts.
 *
 * The action's waits grow from a quarter of the poll interval to all of it
 * while the log is quiet: its reads come at about 0, P/4, 3P/4, 7P/4...
 * after its first request. The marker is made to arrive shortly after the
 * read at 3P/4, so that the next one is almost a whole interval away: the
 * latency measured is close to the worst the action allows, not a lucky
 * one. It is not made to arrive at the very moment of that read, where a
 * little jitter would put it before the read and measure the best case
 * instead; the worst case is worked out from the run and printed below the
 * table, with where the marker really fell.
 */
async function measureLatency(
  pollS: number,
  startUpMs: number
): Promise<Section> {
  const jobId = 'ft-bench-live'
  const pollMs = pollS * 1000
  const sinceLastReadMs = Math.min(500, pollMs / 10)
  const markerAtMs = Math.round(startUpMs + 0.75 * pollMs + sinceLastReadMs)

  const { action, arrivals, markerAt } = await withSimulator(
    liveJob(jobId, markerAtMs),
    async bench => ({
      action: await runAction(bench, {
        'job-id': jobId,
        'poll-interval': String(pollS)
      }),
      arrivals: bench.arrivals(),
      markerAt: bench.startedAt + markerAtMs
    })
  )
  expectPassed(action, LIVE_LOG_LINES, `the live job (poll ${pollS} s)`)

  const latencyMs = action.exitedAt - markerAt
  const limitMs = pollMs + 1000
  const before = arrivals.filter(at => at <= markerAt).at(-1)
  const after = arrivals.find(at => at > markerAt)
  let note = 'the marker came before or after every request'
  if (before !== undefined && after !== undefined) {
    // Had the marker come just after a read, the next one would have been
    // a whole interval away; what follows that read takes as long anyway.
    const worstMs = pollMs + (action.exitedAt - after)
    note =
      `the marker came ${seconds(markerAt - before)} after a request, ` +
      `the next one ${seconds(after - markerAt)} later; had it come just ` +
      `after a request, the latency would be about ${seconds(worstMs)}, ` +
      `${worstMs <= limitMs ? 'within' : 'over'} the target`
  }

  return {
    rows: [
      {
        measure: `latency, poll ${pollS} s: marker to exit`,
        action: seconds(latencyMs),
        reference: `${seconds(limitMs)} poll + 1 s`,
        ratio: `${((latencyMs / limitMs) * 100).toFixed(0)}% / ≤ 100%`,
        met: latencyMs <= limitMs
      }
    ],
    notes: [`latency, poll ${pollS} s: ${note}.`]
  }
}

// --- Report ---------------------------------------------------------------

function printTable(rows: Row[]): void {
  const lines = [
    ['measure', 'action', 'reference', 'ratio / target', 'met?'],
    ...rows.map(row => [
      row.measure,
      row.action,
      row.reference,
      row.ratio,
      row.met ? 'yes' : 'NO'
    ])
  ]
  const widths = (lines[0] as string[]).map((_, column) =>
    Math.max(...lines.map(line => (line[column] as string).length))
  )
  const format = (line: string[]): string =>
    line
      .map((cell, column) => cell.padEnd(widths[column] as number))
      .join('  ')
      .trimEnd()
  console.log(format(lines[0] as string[]))
  console.log(widths.map(width => '-'.repeat(width)).join('  '))
  for (const line of lines.slice(1)) console.log(format(line))
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`)
}

async function cleanUp(): Promise<void> {
  for (const child of children) child.kill('SIGKILL')
  await Promise.all([...simulators].map(simulator => simulator.close()))
}

// A Ctrl-C must not leave a child following a job, or a port open.
process.once('SIGINT', () => {
  void cleanUp().then(() => process.exit(130))
})

async function main(): Promise<void> {
  const startedAt = performance.now()
  // Other work on the machine slows the action and its references alike,
  // but not always in step; the load shows how far to trust a ratio.
  const loadAtStart = loadavg()[0] ?? NaN

  progress(`start-up, ${START_UP_RUNS} runs each`)
  const startUp = await measureStartUp()
  progress(
    `catch-up and memory, ${CATCH_UP_ROUNDS} runs each of the action and ` +
      'the bare client'
  )
  const paging = await measureCatchUpAndMemory()
  progress(`latency, poll ${SHORT_POLL_S} s`)
  const shortPoll = await measureLatency(SHORT_POLL_S, startUp.actionMs)
  progress(`latency, poll ${DEFAULT_POLL_S} s (takes about 30 s)`)
  const defaultPoll = await measureLatency(DEFAULT_POLL_S, startUp.actionMs)

  const sections = [paging, defaultPoll, shortPoll, startUp]
  const sample = trainerLine(CATCH_UP_LINES).replace('{n}', '500000')
  console.log(
    `Machine: ${availableParallelism()} CPUs ` +
      `(${cpus()[0]?.model.trim() ?? 'unknown model'}), Node ` +
      `${process.version}, ${process.platform} ${process.arch}; load ` +
      `average ${loadAtStart.toFixed(2)} at the start, ` +
      `${(loadavg()[0] ?? NaN).toFixed(2)} at the end`
  )
  console.log(
    `Action: ${BUNDLE}; page size ${PAGE_SIZE}; log lines like ` +
      `${sample} (${sample.length} characters)\n`
  )
  printTable(sections.flatMap(section => section.rows))
  console.log()
  for (const note of sections.flatMap(section => section.notes)) {
    console.log(`- ${note}`)
  }
  console.log(`\nOne run, ${seconds(performance.now() - startedAt)} in all.`)
}

try {
  await main()
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
} finally {
  await cleanUp()
}

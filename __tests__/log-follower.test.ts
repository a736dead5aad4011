// The follower's timing decisions, driven by a fake clock and an in-memory
// job, so that waits can be asserted exactly without waiting for them.

import type { Clock } from '../src/clock.js'
import type { JobState, LogPage } from '../src/dashscope-client.js'
import { LogEcho } from '../src/log-echo.js'
import {
  isMarkerLine,
  LogFollower,
  type JobReader
} from '../src/log-follower.js'

/** A clock whose sleeps return at once, after moving time forward. */
class FakeClock implements Clock {
  time = 0
  readonly sleeps: number[] = []
  now(): number {
    return this.time
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms)
    this.time += ms
  }
}

/**
 * A job whose log grows by the lines scripted for each logs read; the
 * status is whatever `statusAt` says for the read count so far.
 */
class ScriptedJob implements JobReader {
  readonly log: string[] = []
  logReads = 0
  statusReads = 0
  constructor(
    private readonly growth: string[][],
    private readonly statusAt: (logReads: number) => string
  ) {}
  async readLogPage(offset: number, line: number): Promise<LogPage> {
    this.log.push(...(this.growth[this.logReads] ?? []))
    this.logReads++
    return {
      total: this.log.length,
      logs: this.log.slice(offset, offset + line)
    }
  }
  async readJob(): Promise<JobState> {
    this.statusReads++
    return { status: this.statusAt(this.logReads) }
  }
}

function follow(job: ScriptedJob, clock: FakeClock, pollIntervalMs = 8000) {
  const printed: string[] = []
  const follower = new LogFollower({
    jobId: 'ft-1',
    reader: job,
    echo: new LogEcho({ write: text => void printed.push(text) }),
    clock,
    signal: new AbortController().signal,
    deadline: Infinity,
    pollIntervalMs,
    completionMarker: '##FT_COMPLETE##',
    requireMarker: true,
    onLines: () => {},
    log: () => {}
  })
  return { follower, printed, ending: follower.follow() }
}

describe('polling', () => {
  test('stretches the wait while the log is quiet and shrinks it on new lines', async () => {
    const clock = new FakeClock()
    const quiet: string[][] = Array(6).fill([])
    const job = new ScriptedJob(
      [['a'], ...quiet, ['b'], [], ['##FT_COMPLETE##']],
      reads => (reads >= 10 ? 'SUCCEEDED' : 'RUNNING')
    )
    const { ending } = follow(job, clock)

    expect(await ending).toBe('finished')
    // A quarter of 8 s after new lines, doubling to the full 8 s, back to a
    // quarter when "b" arrives; then the 750 ms settling read at the end.
    expect(clock.sleeps).toEqual([
      2000, 4000, 8000, 8000, 8000, 8000, 8000, 2000, 4000, 750
    ])
  })

  test('reads a backlog without sleeping', async () => {
    const clock = new FakeClock()
    const lines = Array.from({ length: 3500 }, (_, i) => `L${i + 1}`)
    const job = new ScriptedJob(
      [[...lines, '##FT_COMPLETE##']],
      () => 'SUCCEEDED'
    )
    const { follower, ending } = follow(job, clock)

    expect(await ending).toBe('finished')
    expect(follower.linesRead).toBe(3501)
    // Four pages back to back, one status read, one settling read.
    expect(job.logReads).toBe(5)
    expect(job.statusReads).toBe(1)
    expect(clock.sleeps).toEqual([750])
  })

  test('checks the status during a long backlog', async () => {
    const clock = new FakeClock()
    const lines = Array.from({ length: 5000 }, (_, i) => `L${i + 1}`)
    const job = new ScriptedJob([lines], reads =>
      reads >= 3 ? 'FAILED' : 'RUNNING'
    )
    const slowReader: JobReader = {
      readLogPage: async (offset, line) => {
        clock.time += 5000
        return job.readLogPage(offset, line)
      },
      readJob: () => job.readJob()
    }
    const printed: string[] = []
    const follower = new LogFollower({
      jobId: 'ft-1',
      reader: slowReader,
      echo: new LogEcho({ write: t => void printed.push(t) }),
      clock,
      signal: new AbortController().signal,
      deadline: Infinity,
      pollIntervalMs: 8000,
      completionMarker: '##FT_COMPLETE##',
      requireMarker: true,
      onLines: () => {},
      log: () => {}
    })

    expect(await follower.follow()).toBe('finished')
    // Every page takes 5 s against an 8 s interval: the status is read at
    // least every other page, not only once caught up.
    expect(job.statusReads).toBeGreaterThanOrEqual(2)
  })
})

describe('the end of the log', () => {
  test('reads lines that arrive after the status turned final', async () => {
    const clock = new FakeClock()
    const job = new ScriptedJob(
      [['a', '##FT_COMPLETE##'], ['training usage 5']],
      reads => (reads >= 1 ? 'SUCCEEDED' : 'RUNNING')
    )
    const { follower, ending } = follow(job, clock)

    expect(await ending).toBe('finished')
    expect(follower.linesRead).toBe(3)
  })

  test('waits for a marker that a succeeded job still owes, then gives up', async () => {
    const clock = new FakeClock()
    const job = new ScriptedJob([['a']], () => 'SUCCEEDED')
    const { follower, ending } = follow(job, clock, 2000)

    expect(await ending).toBe('finished')
    expect(follower.markerSeen).toBe(false)
    // Three poll intervals of grace, read every 750 ms.
    expect(clock.time).toBeGreaterThanOrEqual(6000)
    expect(clock.time).toBeLessThan(8000)
  })

  test('never ends on an empty page while lines are still owed', async () => {
    const clock = new FakeClock()
    const reader: JobReader = {
      readLogPage: async () => ({ total: 5, logs: [] }),
      readJob: async () => ({ status: 'FAILED' })
    }
    const controller = new AbortController()
    const follower = new LogFollower({
      jobId: 'ft-1',
      reader,
      echo: new LogEcho({ write: () => {} }),
      clock: {
        now: () => clock.now(),
        sleep: async ms => {
          await clock.sleep(ms)
          if (clock.sleeps.length === 50) controller.abort()
        }
      },
      signal: controller.signal,
      deadline: Infinity,
      pollIntervalMs: 1000,
      completionMarker: '##FT_COMPLETE##',
      requireMarker: true,
      onLines: () => {},
      log: () => {}
    })

    expect(await follower.follow()).toBe('cancelled')
  })
})

describe('the completion marker', () => {
  test.each([
    ['##FT_COMPLETE##', true],
    ['  ##FT_COMPLETE##  ', true],
    ['2024-10-29 17:11:25,175 - INFO - ##FT_COMPLETE##', true],
    ['2023-09-11 11:25:57,045 - dashscope - INFO - ##FT_COMPLETE##', true],
    ['note: the job prints ##FT_COMPLETE## when done', false],
    ['2024-10-29 17:11:25,175 - INFO - ##FT_COMPLETE## soon', false],
    ['##FT_COMPLETE##!', false],
    ['', false]
  ])('%j is the marker: %s', (line, expected) => {
    expect(isMarkerLine(line, '##FT_COMPLETE##')).toBe(expected)
  })
})

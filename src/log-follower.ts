// Follows one job's log from its first line until the job has finished and
// its log has been read to the end.
//
// The loop pages through the log with `offset` = lines already read, without
// sleeping while a backlog exists. Once caught up it reads the job's status,
// and sleeps only when there is nothing new. The status alone decides
// whether the job ended; the completion marker is evidence the log is
// complete. After the status turns terminal, the log is read again after a
// short settling pause until a read brings nothing: the pipeline writes its
// last lines (token usage among them) a second or so after the status moves.

import type { Clock } from './clock.js'
import {
  DeadlineReached,
  RunAborted,
  type JobState,
  type LogPage
} from './dashscope-client.js'
import type { LogEcho } from './log-echo.js'
import { shorten } from './shorten.js'

/** The part of the API client the follower needs. */
export interface JobReader {
  readLogPage(offset: number, line: number): Promise<LogPage>
  readJob(): Promise<JobState>
}

/** Statuses of a job that has not finished; any other status is an end. */
const UNFINISHED_STATUSES = new Set([
  'PENDING',
  'QUEUING',
  'RUNNING',
  'CANCELING'
])

/** The most lines one logs request may ask for. */
export const PAGE_SIZE = 1000

/** How many of the last log lines are kept for failure reports. */
const KEPT_LAST_LINES = 20

/**
 * How much of each kept line is kept: a report quotes a few hundred
 * characters at most, and a log line can be megabytes long.
 */
const KEPT_LINE_CHARS = 1000

/**
 * `2024-10-29 17:11:25,175 - INFO - ` and the 2023 form with a logger name,
 * `2023-09-11 11:25:57,045 - dashscope - INFO - `.
 */
const LOGGING_PREFIX =
  /^\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} - (?:[\w.]+ - )?[A-Z]+ - /

/**
 * A line is the marker when its message, after the optional logging prefix
 * and trimmed, is exactly the marker: a line that only mentions it is not.
 */
export function isMarkerLine(line: string, marker: string): boolean {
  return line.replace(LOGGING_PREFIX, '').trim() === marker
}

function isFinished(status: string | undefined): boolean {
  return status !== undefined && !UNFINISHED_STATUSES.has(status)
}

export interface FollowerOptions {
  jobId: string
  reader: JobReader
  echo: LogEcho
  clock: Clock
  signal: AbortSignal
  pollIntervalMs: number
  completionMarker: string
  requireMarker: boolean
  /** When (on `clock`'s scale) the run gives up: no wait goes past it. */
  deadline: number
  /** Called with every page of new lines, in order. */
  onLines: (lines: readonly string[]) => void
  /** For the user: status changes and other decisions. */
  log: (message: string) => void
}

export type Ending = 'finished' | 'timed-out' | 'cancelled'

/** A logs request under way, and when it was sent. */
interface PendingRead {
  readAt: number
  page: Promise<LogPage>
}

export class LogFollower {
  /** Lines read so far: the offset of the next page. */
  linesRead = 0
  markerSeen = false
  job: JobState | undefined
  /** The last transient fault, when the run timed out while retrying. */
  lastFault: string | undefined
  readonly lastLines: string[] = []

  private total = 0
  private finishedAt: number | undefined
  private lastStatusReadAt = -Infinity

  constructor(private readonly options: FollowerOptions) {}

  get status(): string | undefined {
    return this.job?.status
  }

  /** Follows the log until the job ends, the timeout passes or a cancel. */
  async follow(): Promise<Ending> {
    try {
      await this.readUntilFinished()
      return 'finished'
    } catch (error) {
      if (error instanceof RunAborted) return 'cancelled'
      if (error instanceof DeadlineReached) {
        this.lastFault = error.lastFault
        return 'timed-out'
      }
      throw error
    }
  }

  private async readUntilFinished(): Promise<void> {
    const { clock, pollIntervalMs } = this.options
    // Waits stretch from a quarter of the poll interval up to all of it
    // while the log stays quiet, and shrink again when lines arrive.
    const shortestWait = pollIntervalMs / 4
    let wait = shortestWait

    let readAhead: PendingRead | undefined
    for (;;) {
      // Behind a slow reader of the step's output, printed pages would
      // pile up in memory: the next page waits until they are written.
      await this.options.echo.flushed()
      const { readAt, page: pending } =
        readAhead ?? this.startRead(this.linesRead)
      readAhead = undefined
      const page = await pending

      const next = this.linesRead + page.logs.length
      if (page.logs.length > 0 && next < page.total) {
        // In a backlog the next page is asked for before this one is
        // printed and parsed, so the network and the parsing overlap.
        // Yielding once lets the request leave before the parsing starts.
        readAhead = this.startRead(next)
        await new Promise(resolve => setImmediate(resolve))
      }
      const newLines = this.take(page)

      if (this.linesRead < this.total && newLines > 0) {
        // A backlog is read without waiting, but even a long catch-up
        // must notice a job that ended meanwhile.
        if (
          this.finishedAt === undefined &&
          clock.now() - this.lastStatusReadAt >= pollIntervalMs
        ) {
          await this.readStatus()
        }
        continue
      }

      if (this.finishedAt === undefined) await this.readStatus()
      else if (this.isComplete(readAt, newLines)) return

      if (this.finishedAt === undefined) {
        wait = newLines > 0 ? shortestWait : Math.min(wait * 2, pollIntervalMs)
      }
      // A finished job's log is read again once the settling pause since
      // the end has passed; after a catch-up that took longer, at once.
      const pause =
        this.finishedAt === undefined
          ? wait
          : newLines > 0
            ? Math.max(0, this.finishedAt + this.settleMs - clock.now())
            : this.settleMs
      // No wait outlasts the overall timeout: the next request then finds
      // the time up and the run reports at once.
      await clock.sleep(
        Math.min(pause, Math.max(0, this.options.deadline - clock.now())),
        this.options.signal
      )
      if (this.options.signal.aborted) throw new RunAborted()
    }
  }

  private startRead(offset: number): PendingRead {
    const readAt = this.options.clock.now()
    const page = this.options.reader.readLogPage(offset, PAGE_SIZE)
    // A read ahead may fail before anyone awaits it; the failure is still
    // raised where it is awaited, and must not count as unhandled before.
    page.catch(() => {})
    return { readAt, page }
  }

  /**
   * Whether the log of a finished job has been read to its end: the read
   * made at `readAt` brought nothing, reached the total, and came late
   * enough after the status turned final.
   *
   * The pipeline's last lines can land a second or two after the status
   * turns final. Once the marker has been seen, only lines written
   * together with it can still be missing, and a short pause is enough;
   * without it the whole tail window is waited out, and a succeeded job
   * that owes the marker gets a longer grace to print it.
   */
  private isComplete(readAt: number, newLines: number): boolean {
    if (this.finishedAt === undefined) return false
    if (newLines > 0 || this.linesRead < this.total) return false

    const { pollIntervalMs, requireMarker } = this.options
    const sinceEnd = readAt - this.finishedAt
    if (this.markerSeen) return sinceEnd >= this.settleMs
    const markerOwed = requireMarker && this.status === 'SUCCEEDED'
    const markerGraceMs = Math.min(30_000, Math.max(3 * pollIntervalMs, 500))
    const tailWindowMs = Math.min(pollIntervalMs, 2000)
    return sinceEnd >= (markerOwed ? markerGraceMs : tailWindowMs)
  }

  /**
   * The pause between the reads that drain a finished job's log. In the
   * real logs the lines written with the marker (the usage line) land
   * within 50 ms of it; 750 ms leaves ample room and keeps the time from
   * the marker's arrival to the verdict under a poll interval plus 1 s.
   */
  private get settleMs(): number {
    return Math.min(this.options.pollIntervalMs, 750)
  }

  /** Takes in a page: echoes it, checks for the marker, counts it. */
  private take(page: LogPage): number {
    if (page.total < this.total) {
      this.options.log(
        `The log of job ${this.options.jobId} shrank from ${this.total} to ` +
          `${page.total} lines; following on from line ${this.linesRead + 1}.`
      )
    }
    this.total = page.total
    const lines = page.logs
    if (lines.length === 0) return 0

    const { completionMarker } = this.options
    if (!this.markerSeen) {
      for (const line of lines) {
        // The cheap test first: most lines never mention the marker.
        if (
          line.includes(completionMarker) &&
          isMarkerLine(line, completionMarker)
        ) {
          this.markerSeen = true
          break
        }
      }
    }
    this.options.echo.printRemote(lines)
    this.options.onLines(lines)
    this.keepLast(lines)
    this.linesRead += lines.length
    return lines.length
  }

  private keepLast(lines: readonly string[]): void {
    const tail = lines
      .slice(-KEPT_LAST_LINES)
      .map(line => shorten(line, KEPT_LINE_CHARS))
    this.lastLines.push(...tail)
    if (this.lastLines.length > KEPT_LAST_LINES) {
      this.lastLines.splice(0, this.lastLines.length - KEPT_LAST_LINES)
    }
  }

  /**
   * Reads the job's status until it is final. The first final status is
   * the one the verdict uses: it is not read again, so a status that flips
   * afterwards (FAILED, then SUCCEEDED) cannot turn a failure green.
   */
  private async readStatus(): Promise<void> {
    const previous = this.status
    this.job = await this.options.reader.readJob()
    const now = this.options.clock.now()
    this.lastStatusReadAt = now
    if (this.status !== previous) {
      this.options.log(
        `Job ${this.options.jobId} is ${this.status} ` +
          `(${this.linesRead} log lines read).`
      )
    }
    if (this.finishedAt === undefined && isFinished(this.status)) {
      this.finishedAt = now
    }
  }
}

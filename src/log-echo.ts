// Echoes the job's log lines into the workflow log.
//
// The runner reads every line a step prints and obeys the ones that look
// like workflow commands (`::add-mask::`, `::set-output`, `::error::`,
// `##[group]`, ...). Log lines come from a remote service and can say
// anything, so each page is printed between `::stop-commands::<token>` and
// `::<token>::`: while stopped, the runner shows lines as they are and obeys
// none of them. The token is random for every run, so no line can guess it
// and resume commands early. The group is opened before commands stop and
// closed after they resume, so it still folds.

import { randomBytes } from 'node:crypto'
import { cutPoint } from './shorten.js'

/** Lines longer than this are shortened for display (parsed whole). */
const DISPLAY_CAP = 4000

export interface LogEchoOptions {
  /** Writes text to the step's standard output as is. */
  write: (text: string) => void
  /** Resolves once the output has written what it holds; at once if nothing. */
  drained?: () => Promise<void>
  /** Fixed only by tests; a fresh random token otherwise. */
  token?: string
}

export class LogEcho {
  private readonly token: string
  private groupOpen = false

  constructor(private readonly options: LogEchoOptions) {
    this.token = options.token ?? randomBytes(16).toString('hex')
  }

  openGroup(title: string): void {
    if (this.groupOpen) return
    this.options.write(`::group::${title.replace(/[\r\n]/g, ' ')}\n`)
    this.groupOpen = true
  }

  closeGroup(): void {
    if (!this.groupOpen) return
    this.options.write('::endgroup::\n')
    this.groupOpen = false
  }

  /** Prints remote text, one page at a time, in a single write. */
  printRemote(lines: readonly string[]): void {
    if (lines.length === 0) return
    const shown = lines.map(displayLine)
    this.options.write(
      `::stop-commands::${this.token}\n${shown.join('\n')}\n` +
        `::${this.token}::\n`
    )
  }

  /** Resolves once everything printed so far has left the process. */
  async flushed(): Promise<void> {
    await this.options.drained?.()
  }
}

// Control characters other than tab, carriage return and escape (which
// colours need), and the bidirectional overrides that make text read
// differently than it is stored, are shown as spaces.
const UNPRINTABLE =
  /[\x00-\x08\x0a-\x0c\x0e-\x1a\x1c-\x1f\x7f\u202a-\u202e\u2066-\u2069]/g

// Everything above and the carriage return: a line with none of these, and
// not too long, is shown as it is, after this one test.
const NEEDS_CARE = /[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f\u202a-\u202e\u2066-\u2069]/

/**
 * The form of a line worth showing: a progress bar redrawn with carriage
 * returns shows its last state only, and a very long line is cut with a note
 * of how much was left out.
 */
export function displayLine(line: string): string {
  if (line.length <= DISPLAY_CAP && !NEEDS_CARE.test(line)) return line

  let text = line.replace(UNPRINTABLE, ' ')
  if (text.includes('\r')) {
    const states = text.split('\r').filter(state => state !== '')
    text = states[states.length - 1] ?? ''
  }
  if (text.length > DISPLAY_CAP) {
    const end = cutPoint(text, DISPLAY_CAP)
    text =
      `${text.slice(0, end)} … [${text.length - end} more characters ` +
      'not shown]'
  }
  return text
}

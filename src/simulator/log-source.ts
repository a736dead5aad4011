// A job's whole log, read one line at a time. Lines are computed on demand
// rather than held in an array so that a generated log of a million lines
// costs nothing until a page of it is asked for.

import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isAbsolute, join, resolve, sep } from 'node:path'

export interface LogSource {
  readonly length: number
  /** The line at a 0-based index; throws outside `0 .. length - 1`. */
  lineAt(index: number): string
}

function checkIndex(index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`log line ${index} is outside 0..${length - 1}`)
  }
}

export function logFromLines(lines: readonly string[]): LogSource {
  return {
    length: lines.length,
    lineAt(index) {
      checkIndex(index, lines.length)
      return lines[index] as string
    }
  }
}

/** `count` lines from a template where `{n}` is the 1-based line number. */
export function generatedLog(count: number, template = 'L{n}'): LogSource {
  const pieces = template.split('{n}')
  return {
    length: count,
    lineAt(index) {
      checkIndex(index, count)
      return pieces.join(String(index + 1))
    }
  }
}

export function concatenatedLogs(parts: readonly LogSource[]): LogSource {
  const nonEmpty = parts.filter(part => part.length > 0)
  const length = nonEmpty.reduce((sum, part) => sum + part.length, 0)
  return {
    length,
    lineAt(index) {
      checkIndex(index, length)
      // A scenario has two or three parts at most, so a linear walk is
      // cheaper than keeping an index of where each part starts.
      let rest = index
      for (const part of nonEmpty) {
        if (rest < part.length) return part.lineAt(rest)
        rest -= part.length
      }
      throw new RangeError(`log line ${index} is outside 0..${length - 1}`)
    }
  }
}

const FIXTURE_LOGS_DIR = fileURLToPath(
  new URL('./fixtures/logs/', import.meta.url)
)

/**
 * Where a `logFile` value points: a bare name of a file in the fixture logs
 * folder means that fixture; anything else is a path, relative to `baseDir`.
 */
export function resolveLogFile(nameOrPath: string, baseDir: string): string {
  const isBareName = !nameOrPath.includes('/') && !nameOrPath.includes(sep)
  if (isBareName && existsSync(join(FIXTURE_LOGS_DIR, nameOrPath))) {
    return join(FIXTURE_LOGS_DIR, nameOrPath)
  }
  return isAbsolute(nameOrPath) ? nameOrPath : resolve(baseDir, nameOrPath)
}

/**
 * The lines of a text file. Empty lines inside the log are kept, as real logs
 * have them; only the newline that ends the file does not start a new line.
 */
export function readLogFile(path: string): LogSource {
  const text = readFileSync(path, 'utf8')
  const lines = text.split(/\r?\n/)
  if (lines.at(-1) === '') lines.pop()
  return logFromLines(lines)
}

// Starts the bundled action (`dist/index.js`) the way a GitHub runner does:
// a Node process whose inputs arrive as `INPUT_*` variables and whose
// outputs and job summary go to the files named by `GITHUB_OUTPUT` and
// `GITHUB_STEP_SUMMARY`. Shared by the demo, the benchmark and the
// end-to-end tests, so all three exercise exactly what users run.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BUNDLE = fileURLToPath(
  new URL('../dist/index.js', import.meta.url)
)

export interface ActionResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** The outputs the action set, parsed from the `GITHUB_OUTPUT` file. */
  outputs: Record<string, string>
  /** The raw outputs file, to check nothing else was written to it. */
  outputsFile: string
  summary: string
  durationMs: number
}

export interface ActionProcess {
  child: ChildProcess
  /** Resolves when the process has exited and its files were read. */
  result: Promise<ActionResult>
  /** Resolves once stdout contains `text`. */
  waitForStdout(text: string | RegExp): Promise<void>
}

export interface StartOptions {
  /** Extra environment variables for the process. */
  env?: Record<string, string>
  /** Also copy the action's stdout to this process's stdout as it comes. */
  echo?: boolean
  /** Called with each complete line of the action's stdout as it comes. */
  onStdoutLine?: (line: string) => void
  /** The process is killed after this long, so no caller can hang. */
  killAfterMs?: number
  /** Extra arguments for node, before the script. */
  nodeArgs?: string[]
}

/** The runner's variable name for an input: `job-id` → `INPUT_JOB-ID`. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/** What a runner sets up for one step: files, and variables naming them. */
export interface StepFiles {
  folder: string
  outputPath: string
  summaryPath: string
  /** The runner's variables: the files, and every input as `INPUT_*`. */
  env: Record<string, string>
  /** The outputs file and the summary as the step left them. */
  read(): { outputsFile: string; summary: string }
  /** Removes the folder and its files. */
  remove(): void
}

export function prepareStepFiles(inputs: Record<string, string>): StepFiles {
  const folder = mkdtempSync(join(tmpdir(), 'ft-gate-run-'))
  const outputPath = join(folder, 'output')
  const summaryPath = join(folder, 'summary')
  writeFileSync(outputPath, '')
  writeFileSync(summaryPath, '')

  const env: Record<string, string> = {
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    RUNNER_TEMP: folder
  }
  for (const [name, value] of Object.entries(inputs)) {
    env[inputVariable(name)] = value
  }
  return {
    folder,
    outputPath,
    summaryPath,
    env,
    read: () => ({
      outputsFile: readFileSync(outputPath, 'utf8'),
      summary: readFileSync(summaryPath, 'utf8')
    }),
    remove: () => rmSync(folder, { recursive: true, force: true })
  }
}

export function startBundledAction(
  inputs: Record<string, string>,
  options: StartOptions = {}
): ActionProcess {
  const step = prepareStepFiles(inputs)
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? step.folder,
    ...step.env,
    ...options.env
  }

  const startedAt = performance.now()
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BUNDLE], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  const watchers: {
    test: string | RegExp
    resolve: () => void
    reject: (error: Error) => void
  }[] = []
  const matches = (test: string | RegExp): boolean =>
    typeof test === 'string' ? stdout.includes(test) : test.test(stdout)

  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  let partialLine = ''
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk
    if (options.echo) process.stdout.write(chunk)
    if (options.onStdoutLine) {
      const lines = (partialLine + chunk).split('\n')
      partialLine = lines.pop() ?? ''
      lines.forEach(options.onStdoutLine)
    }
    for (const watcher of [...watchers]) {
      if (matches(watcher.test)) {
        watchers.splice(watchers.indexOf(watcher), 1)
        watcher.resolve()
      }
    }
  })
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk
    if (options.echo) process.stderr.write(chunk)
  })

  const killer = setTimeout(
    () => child.kill('SIGKILL'),
    options.killAfterMs ?? 20_000
  )
  const result = new Promise<ActionResult>((resolve, reject) => {
    child.on('error', error => {
      clearTimeout(killer)
      reject(error)
    })
    child.on('close', (exitCode, signal) => {
      clearTimeout(killer)
      if (partialLine !== '') options.onStdoutLine?.(partialLine)
      // A wait for text that never came fails now rather than at the
      // test's timeout.
      for (const watcher of watchers.splice(0)) {
        watcher.reject(
          new Error(`The action exited without printing ${watcher.test}`)
        )
      }
      const { outputsFile, summary } = step.read()
      step.remove()
      resolve({
        exitCode,
        signal,
        stdout,
        stderr,
        outputs: parseOutputsFile(outputsFile),
        outputsFile,
        summary,
        durationMs: performance.now() - startedAt
      })
    })
  })

  return {
    child,
    result,
    waitForStdout: test =>
      matches(test)
        ? Promise.resolve()
        : new Promise((resolve, reject) =>
            watchers.push({ test, resolve, reject })
          )
  }
}

export function runBundledAction(
  inputs: Record<string, string>,
  options: StartOptions = {}
): Promise<ActionResult> {
  return startBundledAction(inputs, options).result
}

/**
 * Reads a `GITHUB_OUTPUT` file: `name=value` lines, or the multi-line form
 * `name<<DELIMITER`, the value's lines, then `DELIMITER`.
 */
export function parseOutputsFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? ''
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name = '', delimiter] = heredoc
      const value: string[] = []
      for (
        index++;
        index < lines.length && lines[index] !== delimiter;
        index++
      ) {
        value.push(lines[index] ?? '')
      }
      outputs[name] = value.join('\n')
    } else if (line.includes('=')) {
      const at = line.indexOf('=')
      outputs[line.slice(0, at)] = line.slice(at + 1)
    }
  }
  return outputs
}

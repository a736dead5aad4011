// `npm run local-action` is how the README says to run the action's source
// locally. Its stand-in for @actions/core is not the real toolkit, so this
// runs the source under it against the simulator, as a user would.

import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startSimulator } from '../src/simulator/server.js'

const run = promisify(execFile)

test('runs the source under @github/local-action to a green verdict', async () => {
  const simulator = await startSimulator({
    jobId: 'ft-202410291653-1c7f',
    logFile: 'docs-sample-tail.txt'
  })
  const folder = mkdtempSync(join(tmpdir(), 'ft-gate-local-'))
  const envFile = join(folder, '.env')
  writeFileSync(
    envFile,
    [
      'INPUT_JOB-ID=ft-202410291653-1c7f',
      'INPUT_API-KEY=sk-local-not-a-real-key',
      `INPUT_BASE-URL=${simulator.url}/api/v1`,
      'INPUT_POLL-INTERVAL=0.05',
      'INPUT_TIMEOUT=0.5'
    ].join('\n')
  )
  try {
    const { stdout } = await run(
      'npx',
      ['local-action', 'run', '.', 'src/main.ts', envFile],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }
    )
    expect(stdout).toContain('Job ft-202410291653-1c7f succeeded')
    expect(stdout).not.toContain('::error::')
    expect(stdout).toMatch(/'token-usage'\s*│\s*'279808'/)
  } finally {
    rmSync(folder, { recursive: true, force: true })
    await simulator.close()
  }
}, 60_000)

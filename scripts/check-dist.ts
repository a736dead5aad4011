// Fails when the committed `dist/` is not what a fresh build of `src/`
// makes. The runner executes `dist/index.js` as committed, so a stale
// bundle would ship code that no test looked at.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const fresh = mkdtempSync(join(tmpdir(), 'ft-gate-dist-'))
try {
  execFileSync(
    'npx',
    [
      'ncc',
      'build',
      'src/index.ts',
      '--out',
      fresh,
      '--license',
      'licenses.txt'
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  )
  const names = new Set([...readdirSync('dist'), ...readdirSync(fresh)])
  const differing = [...names].filter(name => {
    try {
      return !readFileSync(join('dist', name)).equals(
        readFileSync(join(fresh, name))
      )
    } catch {
      return true
    }
  })
  if (differing.length > 0) {
    console.error(
      `dist/ is not what a fresh build makes (${differing.join(', ')} ` +
        'differ). Run `npm run build` and commit dist/.'
    )
    process.exit(1)
  }
  console.log(`dist/ matches a fresh build (${names.size} files).`)
} finally {
  rmSync(fresh, { recursive: true, force: true })
}

// Fails when the committed `dist/` is not what a fresh build of `src/`
// makes. The runner executes `dist/index.js` as committed, so a stale
// bundle would ship code that no test looked at.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// The build command is taken from package.json, with its output folder
// swapped, so that this check can never drift from `npm run build`.
const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as {
  scripts: { build: string }
}
const buildWords = packageJson.scripts.build.split(/\s+/)
const outAt = buildWords.indexOf('--out')
if (buildWords[0] !== 'ncc' || outAt < 0) {
  throw new Error('The build script is expected to be `ncc build … --out …`.')
}

const fresh = mkdtempSync(join(tmpdir(), 'ft-gate-dist-'))
try {
  buildWords[outAt + 1] = fresh
  execFileSync('npx', buildWords, { stdio: ['ignore', 'ignore', 'inherit'] })
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

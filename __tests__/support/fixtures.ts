import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function readFixtureLines(name: string): string[] {
  const path = fileURLToPath(
    new URL(`../../src/simulator/fixtures/logs/${name}`, import.meta.url)
  )
  return readFileSync(path, 'utf8').replace(/\n$/, '').split('\n')
}

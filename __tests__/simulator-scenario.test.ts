// Scenario files and log sources of the DashScope simulator: what a
// scenario's author can write, and the errors they get when it is wrong.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from '@jest/globals'
import { jobObject } from '../src/simulator/job-object.js'
import {
  concatenatedLogs,
  generatedLog,
  logFromLines,
  readLogFile,
  resolveLogFile
} from '../src/simulator/log-source.js'
import {
  builtinScenarioNames,
  loadScenario,
  parseScenario,
  ScenarioError
} from '../src/simulator/scenario.js'
import { openJobLog } from '../src/simulator/simulated-job.js'

const temporaryDirs: string[] = []

afterEach(() => {
  for (const dir of temporaryDirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true })
  }
})

function temporaryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'simulator-scenario-'))
  temporaryDirs.push(dir)
  return dir
}

describe('log sources', () => {
  it('computes generated lines on demand, even a million of them', () => {
    const log = generatedLog(1_000_000, 'epoch {n}: loss {n}')

    expect(log.length).toBe(1_000_000)
    expect(log.lineAt(0)).toBe('epoch 1: loss 1')
    expect(log.lineAt(999_999)).toBe('epoch 1000000: loss 1000000')
    expect(() => log.lineAt(1_000_000)).toThrow(RangeError)
  })

  it('defaults the template to L{n}', () => {
    expect(generatedLog(3).lineAt(2)).toBe('L3')
  })

  it('appends one source after another', () => {
    const log = concatenatedLogs([
      generatedLog(2),
      logFromLines([]),
      logFromLines(['tail 1', 'tail 2'])
    ])

    expect(log.length).toBe(4)
    expect([0, 1, 2, 3].map(index => log.lineAt(index))).toEqual([
      'L1',
      'L2',
      'tail 1',
      'tail 2'
    ])
  })

  it('keeps the empty lines inside a log file, and its tabs', () => {
    const log = readLogFile(resolveLogFile('sft-2023-excerpt.txt', '/'))

    expect(log.length).toBe(14)
    expect(log.lineAt(1)).toBe('')
    expect(log.lineAt(4)).toContain('\t')
  })

  it('builds a job log from lines, a generated part and a file', () => {
    const log = openJobLog({
      jobId: 'ft-x',
      generate: { count: 2500 },
      thenFile: 'docs-sample-tail.txt'
    })

    expect(log.length).toBe(2510)
    expect(log.lineAt(2509)).toMatch(/##FT_COMPLETE##$/)
  })
})

describe('built-in scenarios', () => {
  it('include the demo and the real logs', () => {
    expect(builtinScenarioNames()).toEqual(
      expect.arrayContaining([
        'docs-sample',
        'cpt-2025',
        'video-lora-2025',
        'sft-2023-excerpt',
        'failed',
        'throttled'
      ])
    )
  })

  it.each(builtinScenarioNames())('%s loads and its log opens', name => {
    const scenario = loadScenario(name)

    for (const job of scenario.jobs) {
      expect(openJobLog(job).length).toBeGreaterThan(0)
    }
  })

  it('docs-sample ends on the documented tail', () => {
    const [job] = loadScenario('docs-sample').jobs
    const log = openJobLog(job!)

    expect(log.length).toBe(50)
    expect(log.lineAt(40)).toMatch(/^\{'train_runtime'/)
    expect(job?.job).toMatchObject({ usage: 279808 })
  })

  it('failed has no completion marker', () => {
    const [job] = loadScenario('failed').jobs
    const log = openJobLog(job!)
    const lines = Array.from({ length: log.length }, (_, i) => log.lineAt(i))

    expect(lines.join('\n')).not.toContain('##FT_COMPLETE##')
    expect(job?.timeline?.at(-1)?.status).toBe('FAILED')
  })
})

describe('loadScenario', () => {
  it('names the built-in scenarios when a name is unknown', () => {
    expect(() => loadScenario('no-such-scenario')).toThrow(
      /no built-in scenario "no-such-scenario".*docs-sample/
    )
  })

  it('resolves a relative logFile against the scenario file', () => {
    const dir = temporaryDir()
    writeFileSync(join(dir, 'job.log'), 'first\nsecond\n')
    writeFileSync(
      join(dir, 'scenario.json'),
      JSON.stringify({ jobId: 'ft-x', logFile: 'job.log' })
    )

    const [job] = loadScenario(join(dir, 'scenario.json')).jobs

    expect(job?.logFile).toBe(join(dir, 'job.log'))
    expect(openJobLog(job!).lineAt(1)).toBe('second')
  })

  it('says which log file is missing', () => {
    const dir = temporaryDir()
    const file = join(dir, 'scenario.json')
    writeFileSync(file, JSON.stringify({ jobId: 'ft-x', thenFile: 'gone.txt' }))

    expect(() => loadScenario(file)).toThrow(
      /jobs\[0\]\.thenFile "gone.txt" is neither a fixture log nor a file/
    )
  })

  it('names the file when its JSON is broken', () => {
    const dir = temporaryDir()
    const file = join(dir, 'broken.json')
    writeFileSync(file, '{ "jobId": ')

    expect(() => loadScenario(file)).toThrow(/broken\.json is not valid JSON/)
  })
})

describe('scenario validation', () => {
  it('wraps a single job in the jobs form', () => {
    expect(parseScenario({ jobId: 'ft-x' })).toEqual({
      jobs: [expect.objectContaining({ jobId: 'ft-x' })]
    })
  })

  it.each([
    [{ jobId: '' }, /scenario\.jobId must be a non-empty string/],
    [{ jobId: 'x', visibleLine: 3 }, /unknown field "visibleLine"/],
    [
      { jobId: 'x', lines: ['a', 2] },
      /scenario\.lines\[1\] must be a string, got 2/
    ],
    [
      { jobId: 'x', lines: [], generate: { count: 1 } },
      /more than one log source \(lines, generate\)/
    ],
    [
      { jobId: 'x', generate: { count: -1 } },
      /generate\.count must be an integer of at least 0/
    ],
    [{ jobId: 'x', timeline: [] }, /timeline needs at least one step/],
    [
      { jobId: 'x', timeline: [{ status: 7 }] },
      /timeline\[0\]\.status must be a string, got 7/
    ],
    [
      { jobId: 'x', timeline: [{ status: 'RUNNING', after: { ms: 5 } }] },
      /timeline\[0\]\.after is not allowed/
    ],
    [
      {
        jobId: 'x',
        timeline: [{ status: 'RUNNING' }, { status: 'FAILED', after: {} }]
      },
      /timeline\[1\]\.after needs "requests" or "ms"/
    ],
    [{ jobId: 'x', offsetBase: 2 }, /offsetBase must be one of 0, 1, got 2/],
    [{ jobId: 'x', job: { status: 'RUNNING' } }, /job\.status cannot be set/],
    [
      { jobId: 'x', faults: [{ fault: { kind: 'explode' } }] },
      /faults\[0\]\.fault\.kind must be one of "respond", "error"/
    ],
    [
      { jobId: 'x', faults: [{ fault: { kind: 'error', code: 'X' } }] },
      /faults\[0\]\.fault\.status must be an integer, got nothing/
    ],
    [
      {
        jobId: 'x',
        faults: [{ fault: { kind: 'delay', ms: 5, status: 200 } }]
      },
      /faults\[0\]\.fault has an unknown field "status"/
    ],
    [
      { jobId: 'x', faults: [{ nth: 1, from: 2, fault: { kind: 'reset' } }] },
      /either "nth" or "from"\/"to"/
    ],
    [
      { jobId: 'x', faults: [{ offset: 0, fault: { kind: 'reset' } }] },
      /offset only applies to "endpoint": "logs"/
    ],
    [{ jobs: [] }, /scenario\.jobs needs at least one job/],
    [{ jobs: [{ jobId: 'a' }, { jobId: 'a' }] }, /has "a" twice/]
  ])('refuses %j', (scenario, message) => {
    expect(() => parseScenario(scenario)).toThrow(ScenarioError)
    expect(() => parseScenario(scenario)).toThrow(message)
  })

  it('prefixes errors with where the scenario came from', () => {
    expect(() => parseScenario({ jobId: 3 }, 'my.json')).toThrow(
      /^my\.json: scenario\.jobId must be a string, got 3$/
    )
  })
})

describe('job object', () => {
  it('keeps the real field order and sets the id and status', () => {
    const job = jobObject('ft-x', 'RUNNING', { model: 'qwen-plus' })

    expect(Object.keys(job).slice(0, 4)).toEqual([
      'job_id',
      'job_name',
      'status',
      'model'
    ])
    expect(job).toMatchObject({
      job_id: 'ft-x',
      job_name: 'ft-x',
      status: 'RUNNING',
      model: 'qwen-plus'
    })
  })

  it('derives the trained model id from the model and job id', () => {
    const job = jobObject('ft-x', 'SUCCEEDED', { model: 'qwen-plus' })

    expect(job.finetuned_output).toBe('qwen-plus-suffix-ft-x')
  })

  it('bills nothing and carries code "1" once CANCELED, like the real sample', () => {
    const job = jobObject('ft-x', 'CANCELED')

    expect(job).toMatchObject({ usage: 0, code: '1' })
    expect(job.finetuned_output).toBeUndefined()
  })
})

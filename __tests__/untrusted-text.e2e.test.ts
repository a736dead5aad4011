// Nothing the API says can act on the runner, the key never leaks, and bad
// inputs stop the run before a single request. Each case runs the bundled
// action against the simulator and reads its output the way the runner does.

import { obeyedCommands } from '../scripts/workflow-commands.js'
import { startSimulator } from '../src/simulator/server.js'
import {
  echoedLines,
  readFixtureLines,
  runAction,
  TEST_KEY,
  failureMessage,
  sampleJobFailingOnce
} from './support/e2e.js'

const JOB = 'ft-202410291653-1c7f'

const HOSTILE_LINES = [
  '::add-mask::0.912',
  '::set-output name=train-loss::0.0001',
  '::error::fake failure',
  '::warning file=a.py,line=1::fake warning',
  '::stop-commands::abc',
  '::endgroup::',
  '::abc::',
  '##[group]evil',
  '   ::error::indented',
  '\t##[error]tabbed',
  'text before ##[set-output name=x]y',
  '::set-env name=NODE_OPTIONS::--require /tmp/evil.js',
  '::add-path::/tmp/evil',
  '::save-state name=s::v',
  '::debug::remote debug',
  '::notice::%0A::error::escaped newline',
  'progress 10%\r::error::after a carriage return',
  '::group::second group'
]

const ACTION_OUTPUTS = [
  'train-loss',
  'eval-loss',
  'token-usage',
  'epoch',
  'train-runtime',
  'final-checkpoint',
  'finetuned-output',
  'status',
  'timed-out',
  'log-lines',
  'job-id',
  'metrics'
]

describe('remote text is inert', () => {
  test('echoes command-like lines verbatim without the runner obeying them', async () => {
    const tail = readFixtureLines('docs-sample-tail.txt')
    const run = await runAction({
      jobId: JOB,
      lines: [...HOSTILE_LINES, ...tail]
    })

    expect(run.exitCode).toBe(0)
    const echoed = echoedLines(run.stdout)
    for (const line of HOSTILE_LINES) {
      const shown = line.includes('\r') ? line.split('\r').pop() : line
      expect(echoed).toContain(shown)
    }

    const commands = obeyedCommands(run.stdout)
    const names = commands.map(command => command.name)
    expect(names.filter(name => name === 'group')).toHaveLength(1)
    expect(names.filter(name => name === 'endgroup')).toHaveLength(1)
    expect(names).not.toContain('error')
    expect(names).not.toContain('warning')
    expect(names).not.toContain('set-output')
    expect(names).not.toContain('set-env')
    expect(names).not.toContain('add-path')
    expect(names).not.toContain('save-state')
    const masks = commands.filter(command => command.name === 'add-mask')
    expect(masks.map(command => command.data)).toEqual([TEST_KEY])
    expect(
      commands.filter(command => command.name === 'debug').map(c => c.data)
    ).not.toContain('remote debug')

    const outputNames = [...run.outputsFile.matchAll(/^([\w-]+)<</gm)].map(
      match => match[1]
    )
    expect(outputNames.sort()).toEqual([...ACTION_OUTPUTS].sort())
    expect(run.outputs['train-loss']).toBe('0.9122632344563802')
  })

  test('keeps long, empty and non-Latin lines and shows a progress bar once', async () => {
    const long = `{'loss': 0.5, 'note': '${'x'.repeat(9000)}'}`
    const lines = [
      long,
      '',
      '训练完成，损失 0.5 🎉',
      'epoch 1: 10%\repoch 1: 50%\repoch 1: 100%\r',
      ...readFixtureLines('docs-sample-tail.txt')
    ]
    const run = await runAction({ jobId: JOB, lines })

    expect(run.exitCode).toBe(0)
    const echoed = echoedLines(run.stdout)
    const note = ` … [${long.length - 4000} more characters not shown]`
    expect(echoed[0]).toBe(long.slice(0, 4000) + note)
    expect(echoed[1]).toBe('')
    expect(echoed[2]).toBe('训练完成，损失 0.5 🎉')
    expect(echoed[3]).toBe('epoch 1: 100%')
    expect(run.outputs['log-lines']).toBe(String(lines.length))
  })
})

describe('the key stays secret', () => {
  test('never shows a key that the server echoes back, even when debugging', async () => {
    const run = await runAction(
      {
        jobId: JOB,
        logFile: 'docs-sample-tail.txt',
        apiKey: 'sk-the-right-key-000',
        faults: [
          {
            endpoint: 'logs',
            nth: 1,
            fault: {
              kind: 'respond',
              status: 401,
              body: {
                code: 'InvalidApiKey',
                message: 'Invalid API-key provided: {{apiKey}}',
                request_id: '{{requestId}}'
              }
            }
          }
        ]
      },
      {},
      { env: { RUNNER_DEBUG: '1' } }
    )

    expect(run.exitCode).toBe(1)
    const withoutMask = run.stdout
      .split('\n')
      .filter(line => line !== `::add-mask::${TEST_KEY}`)
      .join('\n')
    for (const text of [
      withoutMask,
      run.stderr,
      run.outputsFile,
      run.summary
    ]) {
      expect(text).not.toContain(TEST_KEY)
    }
    const error = failureMessage(run.stdout)
    expect(error).toContain('HTTP 401 InvalidApiKey')
    expect(error).toContain('Invalid API-key provided: ***')
    expect(error).toContain("Check that 'api-key' holds a valid key")
  })

  test('does not follow a redirect, so the key cannot travel with it', async () => {
    const elsewhere = await startSimulator({ jobId: JOB, lines: ['x'] })
    try {
      const run = await runAction(
        sampleJobFailingOnce({
          kind: 'respond',
          status: 302,
          headers: {
            location: `${elsewhere.url}/api/v1/fine-tunes/${JOB}/logs`
          }
        })
      )

      expect(run.exitCode).toBe(1)
      expect(elsewhere.requests).toHaveLength(0)
      const error = failureMessage(run.stdout)
      expect(error).toContain('redirects are not followed')
    } finally {
      await elsewhere.close()
    }
  })

  test('sends the key only in the Authorization header', async () => {
    const run = await runAction({ jobId: JOB, logFile: 'docs-sample-tail.txt' })

    expect(run.exitCode).toBe(0)
    for (const request of run.requests) {
      expect(request.authorization).toBe(`Bearer ${TEST_KEY}`)
      expect(request.path + JSON.stringify(request.query)).not.toContain(
        TEST_KEY
      )
    }
  })
})

describe('bad inputs stop the run before any request', () => {
  test.each([
    ['job-id', '', "Input 'job-id' is required"],
    ['job-id', 'ft-1/../../files', 'Input \'job-id\' is "ft-1/../../files"'],
    ['job-id', 'ft-1?offset=9', 'Input \'job-id\' is "ft-1?offset=9"'],
    ['job-id', 'ft 1', 'Input \'job-id\' is "ft 1"'],
    ['job-id', 'ft-1..2', "with no '..'"],
    ['job-id', 'x'.repeat(200), "Input 'job-id' is \"xxxx"],
    ['api-key', '', "Input 'api-key' is required"],
    ['api-key', 'short', "Input 'api-key' is not a plausible DashScope key"],
    [
      'region',
      'mars',
      'expected one of singapore, beijing, virginia, hongkong'
    ],
    [
      'base-url',
      'http://example.com/api/v1',
      'Input \'base-url\' is "http://example.com/api/v1"'
    ],
    [
      'base-url',
      'https://user:hunter2@example.com/api/v1',
      'with no user name, password'
    ],
    ['base-url', 'not a url', 'Input \'base-url\' is "not a url"'],
    [
      'base-url',
      'https://u:hunter2@exa mple.com',
      '"https://***@exa mple.com"'
    ],
    ['base-url', 'http://127.0.0.1:0/api/v1', "Input 'base-url' is"],
    ['base-url', 'https://example.com/api/v1?x=1', 'query or fragment'],
    [
      'poll-interval',
      'abc',
      'Input \'poll-interval\' is "abc": expected a number of seconds from 0.01 to 3600'
    ],
    ['poll-interval', '0', 'Input \'poll-interval\' is "0"'],
    ['poll-interval', '-5', 'Input \'poll-interval\' is "-5"'],
    ['request-timeout', '10000', 'Input \'request-timeout\' is "10000"'],
    ['timeout', '0', 'Input \'timeout\' is "0": expected a number of minutes'],
    [
      'require-marker',
      'yes',
      'Input \'require-marker\' is "yes": expected true or false'
    ],
    [
      'cancel-on-abort',
      '1',
      'Input \'cancel-on-abort\' is "1": expected true or false'
    ],
    ['max-train-loss', 'low', 'Input \'max-train-loss\' is "low"'],
    ['workspace', 'a/b', 'Input \'workspace\' is "a/b"']
  ])('%s = %j', async (input, value, message) => {
    // A region is only checked when no base-url overrides it, and these
    // runs point base-url at the simulator: that case takes it away.
    const run = await runAction(
      { jobId: JOB, logFile: 'docs-sample-tail.txt' },
      input === 'region'
        ? { region: value, 'base-url': '' }
        : { [input]: value }
    )

    expect(run.exitCode).toBe(1)
    expect(run.requests).toHaveLength(0)
    const error = failureMessage(run.stdout)
    expect(error).toContain(message)
    expect(run.stdout).not.toContain('hunter2')
  })
})

// The DashScope simulator, exercised over real HTTP on 127.0.0.1 with Node's
// own fetch, as the action's client will use it.

import { readFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { afterEach, describe, expect, it } from '@jest/globals'
import { loadScenario, type JobScenario } from '../src/simulator/scenario.js'
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions
} from '../src/simulator/server.js'

const KEY = 'sk-test-key'
const JOB = 'ft-test-0001'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

interface LogsOutput {
  total: number
  logs: string[]
}

interface Reply {
  status: number
  headers: Headers
  text: string
  // Tests read the fields they check; the envelope shapes are asserted where
  // they matter.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
}

const started: Simulator[] = []

afterEach(async () => {
  await Promise.all(started.splice(0).map(simulator => simulator.close()))
})

async function start(
  scenario: Parameters<typeof startSimulator>[0],
  options?: SimulatorOptions
): Promise<Simulator> {
  const simulator = await startSimulator(scenario, options)
  started.push(simulator)
  return simulator
}

async function call(
  simulator: Simulator,
  path: string,
  { method = 'GET', key = KEY as string | null } = {}
): Promise<Reply> {
  const headers: Record<string, string> =
    key === null ? {} : { authorization: `Bearer ${key}` }
  const response = await fetch(`${simulator.url}/api/v1${path}`, {
    method,
    headers
  })
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: response.status, headers: response.headers, text, body }
}

function logs(simulator: Simulator, query: string, jobId = JOB) {
  return call(simulator, `/fine-tunes/${jobId}/logs?${query}`)
}

async function logsOutput(
  simulator: Simulator,
  query: string
): Promise<LogsOutput> {
  const reply = await logs(simulator, query)
  expect(reply.status).toBe(200)
  return reply.body.output as LogsOutput
}

async function jobStatus(simulator: Simulator, jobId = JOB): Promise<string> {
  const reply = await call(simulator, `/fine-tunes/${jobId}`)
  expect(reply.status).toBe(200)
  return reply.body.output.status as string
}

function numbered(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `L${from + i}`)
}

function failureCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string } }).cause
  return cause?.code
}

describe('envelopes', () => {
  it('answers a job read with request_id and output only', async () => {
    const simulator = await start({ jobId: JOB, lines: ['a'] })

    const reply = await call(simulator, `/fine-tunes/${JOB}`)

    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/)
    expect(Object.keys(reply.body)).toEqual(['request_id', 'output'])
    expect(reply.body.request_id).toMatch(UUID)
    expect(reply.body.output).toMatchObject({
      job_id: JOB,
      job_name: JOB,
      status: 'SUCCEEDED',
      finetuned_output: `qwen3-14b-suffix-${JOB}`,
      usage: 279808,
      end_time: '2024-10-29 17:11:26'
    })
  })

  it('gives every answer a fresh request id', async () => {
    const simulator = await start({ jobId: JOB })

    const first = await call(simulator, `/fine-tunes/${JOB}`)
    const second = await call(simulator, `/fine-tunes/${JOB}`)

    expect(first.body.request_id).not.toBe(second.body.request_id)
  })

  it('answers an unknown job id with the documented NotFound envelope', async () => {
    const simulator = await start({ jobId: JOB })

    const reply = await call(simulator, '/fine-tunes/ft-missing/logs')

    expect(reply.status).toBe(404)
    expect(Object.keys(reply.body)).toEqual(['code', 'message', 'request_id'])
    expect(reply.body).toMatchObject({
      code: 'NotFound',
      message: 'Not Found!'
    })
    expect(reply.body.request_id).toMatch(UUID)
  })

  it.each([
    ['GET', '/other'],
    ['GET', `/fine-tunes/${JOB}/cancel`],
    ['POST', `/fine-tunes/${JOB}/logs`],
    ['DELETE', `/fine-tunes/${JOB}`],
    ['GET', `/fine-tunes/${JOB}/logs/extra`]
  ])('answers %s %s with NotFound', async (method, path) => {
    const simulator = await start({ jobId: JOB })

    const reply = await call(simulator, path, { method })

    expect(reply.status).toBe(404)
    expect(reply.body.code).toBe('NotFound')
  })

  it('lists jobs a page at a time', async () => {
    const simulator = await start({
      jobs: [{ jobId: 'ft-a' }, { jobId: 'ft-b' }, { jobId: 'ft-c' }]
    })

    const reply = await call(simulator, '/fine-tunes?page_no=2&page_size=2')

    expect(reply.status).toBe(200)
    expect(reply.body.output).toMatchObject({
      page_no: 2,
      page_size: 2,
      total: 3
    })
    expect(
      reply.body.output.jobs.map((job: { job_id: string }) => job.job_id)
    ).toEqual(['ft-c'])
  })
})

describe('authorization', () => {
  it.each([
    ['no header at all', undefined, null, 401],
    ['an empty bearer key', undefined, '', 401],
    ['any key when the scenario sets none', undefined, 'sk-anything', 200],
    ['another key than the scenario set', 'sk-right', 'sk-wrong', 401],
    ['the key the scenario set', 'sk-right', 'sk-right', 200]
  ])('with %s answers %s', async (_case, apiKey, key, status) => {
    const simulator = await start({ jobId: JOB, apiKey })

    const reply = await call(simulator, `/fine-tunes/${JOB}`, { key })

    expect(reply.status).toBe(status)
    if (status === 401) {
      expect(reply.body).toMatchObject({
        code: 'InvalidApiKey',
        message: 'Invalid API-key provided.'
      })
    }
  })
})

describe('log paging', () => {
  const scenario: JobScenario = { jobId: JOB, generate: { count: 25 } }

  it.each([
    ['offset=0&line=10', numbered(1, 10)],
    ['offset=20&line=10', numbered(21, 25)],
    ['offset=25&line=10', []],
    ['offset=300&line=10', []],
    ['', numbered(1, 25)]
  ])('with %s pages the visible lines', async (query, expected) => {
    const simulator = await start(scenario)

    const output = await logsOutput(simulator, query)

    expect(output).toEqual({ total: 25, logs: expected })
  })

  it('reproduces the documented sample: offset=10&line=10 of 20 lines', async () => {
    const simulator = await start({
      jobId: JOB,
      generate: { count: 10 },
      thenFile: 'docs-sample-tail.txt'
    })
    const sample = JSON.parse(
      readFileSync(
        new URL(
          '../src/simulator/fixtures/responses/logs-docs-sample.json',
          import.meta.url
        ),
        'utf8'
      )
    ) as { output: LogsOutput }

    const output = await logsOutput(simulator, 'offset=10&line=10')

    expect(output).toEqual(sample.output)
  })

  it('defaults to 100 lines and caps a page at 1000', async () => {
    const simulator = await start({ jobId: JOB, generate: { count: 1500 } })

    const byDefault = await logsOutput(simulator, 'offset=0')
    const capped = await logsOutput(simulator, 'offset=0&line=5000')

    expect(byDefault.logs).toHaveLength(100)
    expect(capped.logs).toHaveLength(1000)
    expect(capped.total).toBe(1500)
  })

  it.each([
    'line=0',
    'line=-5',
    'line=ten',
    'line=',
    'offset=-1',
    'offset=abc',
    'offset=1.5',
    'offset='
  ])('refuses %s with InvalidParameter', async query => {
    const simulator = await start(scenario)

    const reply = await logs(simulator, query)

    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('InvalidParameter')
    expect(Object.keys(reply.body)).toEqual(['code', 'message', 'request_id'])
  })

  it.each([
    [0, 'offset=0&line=2', ['L1', 'L2']],
    [0, 'offset=1&line=2', ['L2', 'L3']],
    [1, 'offset=1&line=2', ['L1', 'L2']],
    [1, 'offset=0&line=2', ['L1', 'L2']],
    [1, 'offset=2&line=2', ['L2', 'L3']]
  ] as const)(
    'with offset base %s, %s gives %j',
    async (offsetBase, query, expected) => {
      const simulator = await start({ ...scenario, offsetBase })

      const output = await logsOutput(simulator, query)

      expect(output.logs).toEqual(expected)
    }
  )

  it.each([
    [0, 2499],
    [1, 2500]
  ] as const)(
    'paging like the Python SDK (offset 1, then +1000) with offset base %s reads %s of 2500 lines',
    async (offsetBase, expectedCount) => {
      const simulator = await start({
        jobId: JOB,
        generate: { count: 2500 },
        offsetBase
      })

      const read: string[] = []
      for (let offset = 1; ; offset += 1000) {
        const output = await logsOutput(simulator, `offset=${offset}&line=1000`)
        if (output.logs.length === 0) break
        read.push(...output.logs)
      }

      expect(read).toHaveLength(expectedCount)
      expect(read.at(-1)).toBe('L2500')
    }
  )

  it('serves the end of a generated million-line log with a suffix file', async () => {
    const simulator = await start({
      jobId: JOB,
      generate: { count: 1_000_000, template: 'step {n} of 1000000' },
      thenFile: 'docs-sample-tail.txt'
    })

    const output = await logsOutput(simulator, 'offset=999999&line=2')

    expect(output.total).toBe(1_000_010)
    expect(output.logs[0]).toBe('step 1000000 of 1000000')
    expect(output.logs[1]).toMatch(/^\{'train_runtime'/)
  })

  it('pages 200,000 lines in 1000-line pages within a second or two', async () => {
    const simulator = await start({ jobId: JOB, generate: { count: 200_000 } })
    const began = performance.now()

    let read = 0
    for (let offset = 0; offset < 200_000; offset += 1000) {
      read += (await logsOutput(simulator, `offset=${offset}&line=1000`)).logs
        .length
    }

    expect(read).toBe(200_000)
    expect(performance.now() - began).toBeLessThan(5000)
  })

  it('keeps connections alive between requests', async () => {
    const simulator = await start(scenario)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const reused: boolean[] = []

    for (let i = 0; i < 3; i += 1) {
      await new Promise<void>((resolve, reject) => {
        const request = httpRequest(
          `${simulator.url}/api/v1/fine-tunes/${JOB}/logs?offset=${i}&line=1`,
          { agent, headers: { authorization: `Bearer ${KEY}` } },
          response => {
            reused.push(request.reusedSocket)
            response.resume()
            response.on('end', resolve)
          }
        )
        request.on('error', reject)
        request.end()
      })
    }
    agent.destroy()

    expect(reused).toEqual([false, true, true])
  })
})

describe('timeline', () => {
  it('moves to a step after the previous one was seen by after.requests requests', async () => {
    const simulator = await start({
      jobId: JOB,
      generate: { count: 10 },
      timeline: [
        { status: 'PENDING', visibleLines: 0 },
        { status: 'RUNNING', visibleLines: 4, after: { requests: 2 } },
        { status: 'SUCCEEDED', after: { requests: 2 } }
      ]
    })

    // Logs and job reads both count toward the timeline.
    const seen = [
      await jobStatus(simulator),
      (await logsOutput(simulator, 'offset=0')).total,
      await jobStatus(simulator),
      (await logsOutput(simulator, 'offset=0')).total,
      await jobStatus(simulator),
      (await logsOutput(simulator, 'offset=0')).total
    ]

    expect(seen).toEqual(['PENDING', 0, 'RUNNING', 4, 'SUCCEEDED', 10])
  })

  it('can turn SUCCEEDED while the last lines appear only on a later request', async () => {
    const simulator = await start(loadScenario('docs-sample'))
    const jobId = 'ft-202410291653-1c7f'
    const polls: { status: string; total: number; last?: string }[] = []

    // A follower's loop: read the status, then the log, until one poll after
    // the status turned terminal.
    for (let poll = 0; poll < 20; poll += 1) {
      const status = await jobStatus(simulator, jobId)
      const reply = await logs(simulator, 'offset=0&line=1000', jobId)
      const output = reply.body.output as LogsOutput
      polls.push({ status, total: output.total, last: output.logs.at(-1) })
      if (polls.at(-2)?.status === 'SUCCEEDED') break
    }

    const totals = polls.map(poll => poll.total)
    expect(totals).toEqual([...totals].sort((a, b) => a - b))
    expect(polls.some(poll => poll.status === 'RUNNING')).toBe(true)
    const [firstSucceeded, afterThat] = polls.slice(-2)
    expect(firstSucceeded).toMatchObject({ status: 'SUCCEEDED', total: 48 })
    expect(firstSucceeded?.last).toMatch(/finetune-job succeeded$/)
    expect(afterThat?.total).toBe(50)
    expect(afterThat?.last).toMatch(/##FT_COMPLETE##$/)
  })

  it('moves on by the clock when a step waits for ms', async () => {
    let clock = 1000
    const simulator = await start(
      {
        jobId: JOB,
        timeline: [
          { status: 'RUNNING' },
          { status: 'SUCCEEDED', after: { ms: 60_000 } }
        ]
      },
      { now: () => clock }
    )

    const before = await jobStatus(simulator)
    clock += 59_999
    const almost = await jobStatus(simulator)
    clock += 1
    const after = await jobStatus(simulator)

    expect([before, almost, after]).toEqual(['RUNNING', 'RUNNING', 'SUCCEEDED'])
    expect(simulator.requests.map(request => request.at)).toEqual([
      0, 59_999, 60_000
    ])
  })

  it('reveals linesPerRequest more lines after each logs request while RUNNING', async () => {
    const simulator = await start({
      jobId: JOB,
      generate: { count: 10 },
      linesPerRequest: 3,
      timeline: [
        { status: 'RUNNING', visibleLines: 0 },
        { status: 'SUCCEEDED', after: { requests: 100 } }
      ]
    })

    const totals: number[] = []
    for (let i = 0; i < 6; i += 1) {
      totals.push((await logsOutput(simulator, 'offset=0')).total)
    }

    expect(totals).toEqual([0, 3, 6, 9, 10, 10])
  })

  it.each([
    ['RUNNING', false, false],
    ['SUCCEEDED', true, true],
    ['FAILED', false, true]
  ])(
    'a %s job shows the trained model and usage: %s, an end time: %s',
    async (status, hasResult, hasEndTime) => {
      const simulator = await start({
        jobId: JOB,
        timeline: [{ status }],
        job: { usage: 1234, finetuned_output: 'my-model' }
      })

      const job = (await call(simulator, `/fine-tunes/${JOB}`)).body.output

      expect('finetuned_output' in job).toBe(hasResult)
      expect('usage' in job).toBe(hasResult)
      expect('end_time' in job).toBe(hasEndTime)
      if (hasResult) expect(job).toMatchObject({ usage: 1234 })
    }
  )
})

describe('cancel', () => {
  it('accepts, then reads CANCELING once and CANCELED after that', async () => {
    const simulator = await start({
      jobId: JOB,
      timeline: [{ status: 'RUNNING' }]
    })

    const cancel = await call(simulator, `/fine-tunes/${JOB}/cancel`, {
      method: 'POST'
    })
    const statuses = [
      await jobStatus(simulator),
      await jobStatus(simulator),
      await jobStatus(simulator)
    ]
    const canceled = (await call(simulator, `/fine-tunes/${JOB}`)).body.output
    const again = await call(simulator, `/fine-tunes/${JOB}/cancel`, {
      method: 'POST'
    })

    expect(cancel.status).toBe(200)
    expect(Object.keys(cancel.body)).toEqual(['request_id', 'output'])
    expect(cancel.body.output).toEqual({ status: 'success' })
    expect(statuses).toEqual(['CANCELING', 'CANCELED', 'CANCELED'])
    expect(canceled).toMatchObject({ usage: 0 })
    expect(canceled.end_time).toEqual(expect.any(String))
    expect(canceled.finetuned_output).toBeUndefined()
    expect(again.status).toBe(400)
    expect(again.body.code).toBe('UnsupportedOperation')
  })

  it('refuses to cancel a job that has already ended', async () => {
    const simulator = await start({ jobId: JOB })

    const reply = await call(simulator, `/fine-tunes/${JOB}/cancel`, {
      method: 'POST'
    })

    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('UnsupportedOperation')
    expect(await jobStatus(simulator)).toBe('SUCCEEDED')
  })
})

describe('faults', () => {
  it('respond sends a gateway page as is, with its headers', async () => {
    const simulator = await start({
      jobId: JOB,
      faults: [
        {
          fault: {
            kind: 'respond',
            status: 502,
            body: '<html><body>502 Bad Gateway</body></html>',
            headers: { 'x-gateway': 'edge-1' }
          }
        }
      ]
    })

    const reply = await call(simulator, `/fine-tunes/${JOB}`)

    expect(reply.status).toBe(502)
    expect(reply.headers.get('content-type')).toMatch(/^text\/html/)
    expect(reply.headers.get('x-gateway')).toBe('edge-1')
    expect(reply.text).toBe('<html><body>502 Bad Gateway</body></html>')
  })

  it('respond fills the client key and a request id into a JSON body', async () => {
    const simulator = await start({
      jobId: JOB,
      faults: [
        {
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
    })

    const reply = await call(simulator, `/fine-tunes/${JOB}`)

    expect(reply.status).toBe(401)
    expect(reply.body.message).toBe(`Invalid API-key provided: ${KEY}`)
    expect(reply.body.request_id).toMatch(UUID)
  })

  it('error sends the documented envelope with the default message and headers', async () => {
    const simulator = await start(loadScenario('throttled'))
    const jobId = 'ft-202410291653-1c7f'

    const replies = [
      await logs(simulator, 'offset=0', jobId),
      await logs(simulator, 'offset=0', jobId),
      await logs(simulator, 'offset=0', jobId)
    ]

    expect(replies.map(reply => reply.status)).toEqual([200, 429, 200])
    const throttled = replies[1] as Reply
    expect(throttled.headers.get('retry-after')).toBe('1')
    expect(Object.keys(throttled.body)).toEqual([
      'code',
      'message',
      'request_id'
    ])
    expect(throttled.body).toMatchObject({
      code: 'Throttling.RateQuota',
      message: 'Requests rate limit exceeded, please try again later.'
    })
    expect(simulator.requests.map(request => request.fault)).toEqual([
      undefined,
      'error',
      undefined
    ])
  })

  it('delay answers normally after the wait', async () => {
    const simulator = await start({
      jobId: JOB,
      lines: ['only line'],
      faults: [{ fault: { kind: 'delay', ms: 300 } }]
    })
    const began = performance.now()

    const output = await logsOutput(simulator, 'offset=0')

    expect(performance.now() - began).toBeGreaterThanOrEqual(280)
    expect(output).toEqual({ total: 1, logs: ['only line'] })
  })

  it('stall-after-headers sends the headers and then nothing more', async () => {
    const simulator = await start({
      jobId: JOB,
      faults: [
        {
          fault: {
            kind: 'stall-after-headers',
            partialBody: '{"request_id":"'
          }
        }
      ]
    })

    const response = await fetch(`${simulator.url}/api/v1/fine-tunes/${JOB}`, {
      headers: { authorization: `Bearer ${KEY}` },
      signal: AbortSignal.timeout(300)
    })

    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toThrow()
    expect(simulator.requests[0]?.fault).toBe('stall-after-headers')
  })

  it('truncated-body ends a 200 in the middle of its JSON', async () => {
    const simulator = await start({
      jobId: JOB,
      generate: { count: 50 },
      faults: [{ fault: { kind: 'truncated-body' } }]
    })

    const reply = await logs(simulator, 'offset=0')

    expect(reply.status).toBe(200)
    expect(reply.text.startsWith('{"request_id":"')).toBe(true)
    expect(reply.body).toBeUndefined()
  })

  it('truncated-body with cutConnection drops the connection mid-body', async () => {
    const simulator = await start({
      jobId: JOB,
      generate: { count: 50 },
      faults: [{ fault: { kind: 'truncated-body', cutConnection: true } }]
    })

    const response = await fetch(
      `${simulator.url}/api/v1/fine-tunes/${JOB}/logs`,
      { headers: { authorization: `Bearer ${KEY}` } }
    )

    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toThrow()
  })

  it('reset drops the connection without an answer', async () => {
    const simulator = await start({
      jobId: JOB,
      faults: [{ nth: 1, fault: { kind: 'reset' } }]
    })

    await expect(call(simulator, `/fine-tunes/${JOB}`)).rejects.toThrow(
      'fetch failed'
    )
    expect((await call(simulator, `/fine-tunes/${JOB}`)).status).toBe(200)
    expect(simulator.requests.map(request => request.status)).toEqual([
      undefined,
      200
    ])
  })

  it('offline refuses connections for a while, then serves again on the same port', async () => {
    const simulator = await start({
      jobId: JOB,
      faults: [{ nth: 1, fault: { kind: 'offline', ms: 250 } }]
    })

    await expect(call(simulator, `/fine-tunes/${JOB}`)).rejects.toThrow(
      'fetch failed'
    )
    const refused = await call(simulator, `/fine-tunes/${JOB}`).catch(
      (error: unknown) => error
    )
    await new Promise(resolve => setTimeout(resolve, 350))
    const back = await call(simulator, `/fine-tunes/${JOB}`)

    expect(failureCode(refused)).toBe('ECONNREFUSED')
    expect(back.status).toBe(200)
    expect(simulator.requests).toHaveLength(2)
  })

  it.each([
    [
      'nth picks one request to the endpoint',
      { endpoint: 'logs', nth: 2 },
      [200, 200, 200, 500, 200, 200]
    ],
    [
      'from and to pick a range',
      { endpoint: 'logs', from: 2, to: 3 },
      [200, 200, 200, 500, 200, 500]
    ],
    [
      'from alone lasts from then on',
      { endpoint: 'job', from: 2 },
      [200, 200, 500, 200, 500, 200]
    ],
    [
      'times limits how often it applies',
      { times: 2 },
      [500, 500, 200, 200, 200, 200]
    ],
    [
      'offset picks logs requests for that offset only',
      { endpoint: 'logs', offset: 5 },
      [200, 200, 200, 500, 200, 200]
    ],
    [
      "endpoint 'any' counts requests of every endpoint",
      { nth: 3 },
      [200, 200, 500, 200, 200, 200]
    ]
  ] as const)('%s', async (_case, rule, expected) => {
    const simulator = await start({
      jobId: JOB,
      generate: { count: 10 },
      timeline: [{ status: 'RUNNING' }],
      faults: [
        {
          ...rule,
          fault: { kind: 'error', status: 500, code: 'InternalError' }
        }
      ]
    })

    // job, logs@0, job, logs@5, job, logs@9
    const statuses = [
      (await call(simulator, `/fine-tunes/${JOB}`)).status,
      (await logs(simulator, 'offset=0&line=5')).status,
      (await call(simulator, `/fine-tunes/${JOB}`)).status,
      (await logs(simulator, 'offset=5&line=4')).status,
      (await call(simulator, `/fine-tunes/${JOB}`)).status,
      (await logs(simulator, 'offset=9&line=5')).status
    ]

    expect(statuses).toEqual(expected)
  })
})

describe('request log', () => {
  it('records each request in order, with what was applied to it', async () => {
    const simulator = await start({
      jobId: JOB,
      faults: [
        {
          endpoint: 'cancel',
          fault: { kind: 'error', status: 503, code: 'SystemError' }
        }
      ]
    })

    await logs(simulator, 'offset=3&line=7')
    await call(simulator, `/fine-tunes/${JOB}/cancel`, { method: 'POST' })
    await call(simulator, '/fine-tunes/ft-other', { key: null })
    await call(simulator, '/fine-tunes')

    expect(simulator.requests).toMatchObject([
      {
        method: 'GET',
        path: `/api/v1/fine-tunes/${JOB}/logs`,
        query: { offset: '3', line: '7' },
        endpoint: 'logs',
        jobId: JOB,
        authorization: `Bearer ${KEY}`,
        status: 200
      },
      { method: 'POST', endpoint: 'cancel', fault: 'error', status: 503 },
      { endpoint: 'job', jobId: 'ft-other', status: 401 },
      { endpoint: 'list', status: 200 }
    ])
    expect(simulator.requests[2]?.authorization).toBeUndefined()
    const times = simulator.requests.map(request => request.at)
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })
})

describe('close', () => {
  it('does not hang on a stalled request or an idle keep-alive connection', async () => {
    const simulator = await startSimulator({
      jobId: JOB,
      faults: [{ nth: 2, fault: { kind: 'stall-after-headers' } }]
    })
    await call(simulator, `/fine-tunes/${JOB}`)
    const stalled = fetch(`${simulator.url}/api/v1/fine-tunes/${JOB}`, {
      headers: { authorization: `Bearer ${KEY}` }
    }).then(response => response.text())
    await new Promise(resolve => setTimeout(resolve, 50))

    const began = performance.now()
    await simulator.close()

    expect(performance.now() - began).toBeLessThan(500)
    await expect(stalled).rejects.toThrow()
  })
})

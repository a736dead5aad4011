import { readSettings, SettingsError } from '../src/settings.js'

const KEY = 'sk-0123456789abcdef'

function settingsFrom(inputs: Record<string, string>) {
  return readSettings(name => inputs[name] ?? '')
}

const MINIMAL = { 'job-id': 'ft-202410291653-1c7f', 'api-key': KEY }

describe('reading the inputs', () => {
  test('fills in the defaults', () => {
    expect(settingsFrom(MINIMAL)).toEqual({
      jobId: 'ft-202410291653-1c7f',
      apiKey: KEY,
      region: 'singapore',
      baseUrl: 'https://dashscope-intl.aliyuncs.com/api/v1',
      workspace: undefined,
      pollIntervalMs: 15_000,
      completionMarker: '##FT_COMPLETE##',
      requireMarker: true,
      requestTimeoutMs: 30_000,
      timeoutMs: 340 * 60_000,
      cancelOnAbort: false,
      maxTrainLoss: undefined,
      maxEvalLoss: undefined
    })
  })

  test.each([
    ['beijing', 'https://dashscope.aliyuncs.com/api/v1'],
    ['virginia', 'https://dashscope-us.aliyuncs.com/api/v1'],
    ['hongkong', 'https://cn-hongkong.dashscope.aliyuncs.com/api/v1'],
    ['Singapore', 'https://dashscope-intl.aliyuncs.com/api/v1']
  ])('maps region %s to its host', (region, baseUrl) => {
    expect(settingsFrom({ ...MINIMAL, region }).baseUrl).toBe(baseUrl)
  })

  test.each([
    ['https://ws-1.example.com/api/v1/', 'https://ws-1.example.com/api/v1'],
    ['http://127.0.0.1:8080/api/v1', 'http://127.0.0.1:8080/api/v1'],
    ['http://localhost:1/api/v1', 'http://localhost:1/api/v1'],
    ['http://[::1]:9/api/v1', 'http://[::1]:9/api/v1']
  ])('lets base-url %s override the region', (baseUrl, expected) => {
    expect(
      settingsFrom({ ...MINIMAL, region: 'beijing', 'base-url': baseUrl })
        .baseUrl
    ).toBe(expected)
  })

  test('trims the key and takes fractional seconds and minutes', () => {
    const settings = settingsFrom({
      ...MINIMAL,
      'api-key': `  ${KEY}\n`,
      'poll-interval': '0.5',
      timeout: '0.02',
      'max-train-loss': '1e-1'
    })
    expect(settings.apiKey).toBe(KEY)
    expect(settings.pollIntervalMs).toBe(500)
    expect(settings.timeoutMs).toBeCloseTo(1200)
    expect(settings.maxTrainLoss).toBe(0.1)
  })

  test('ignores the region, even a bad one, when base-url is given', () => {
    const settings = settingsFrom({
      ...MINIMAL,
      region: 'mars',
      'base-url': 'http://127.0.0.1:9/api/v1'
    })
    expect(settings.baseUrl).toBe('http://127.0.0.1:9/api/v1')
  })

  test('reads numbers the same way in every input', () => {
    const settings = settingsFrom({
      ...MINIMAL,
      timeout: '1e2',
      'max-eval-loss': '1e2'
    })
    expect(settings.timeoutMs).toBe(100 * 60_000)
    expect(settings.maxEvalLoss).toBe(100)
  })

  test('reports every bad input at once', () => {
    expect(() =>
      settingsFrom({ ...MINIMAL, region: 'mars', timeout: '-1' })
    ).toThrow(
      new SettingsError([
        `Input 'region' is "mars": expected one of singapore, beijing, virginia, hongkong.`,
        `Input 'timeout' is "-1": expected a number of minutes from 0.001 to 7200, such as 340.`
      ])
    )
  })

  test('never shows the key in a message about it', () => {
    const badKey = 'sk-has a space-0123'
    try {
      settingsFrom({ ...MINIMAL, 'api-key': badKey })
      throw new Error('accepted a bad key')
    } catch (error) {
      expect(String(error)).toContain("Input 'api-key'")
      expect(String(error)).not.toContain('has a space')
    }
  })
})

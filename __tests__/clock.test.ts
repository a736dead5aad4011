import { formatDuration, systemClock } from '../src/clock.js'

describe('durations for people', () => {
  test.each<[number, string]>([
    [0, '0 ms'],
    [38.6, '39 ms'],
    [999, '999 ms'],
    [1000, '1 s'],
    [2500, '2.5 s'],
    [9_940, '9.9 s'],
    [10_000, '10 s'],
    [59_400, '59 s'],
    [60_000, '1 min'],
    [216_399.9, '3 min 36 s'],
    [3_600_000, '1 h'],
    [3_723_000, '1 h 2 min 3 s'],
    [90_061_000, '1 d 1 h 1 min 1 s']
  ])('writes %s ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})

describe('the system clock', () => {
  test('never wakes before the time asked for', async () => {
    for (const ms of [1, 5, 12.5, 20]) {
      const start = systemClock.now()
      await systemClock.sleep(ms)
      expect(systemClock.now() - start).toBeGreaterThanOrEqual(ms)
    }
  })

  test('wakes at once when the signal aborts', async () => {
    const controller = new AbortController()
    const start = systemClock.now()
    const sleeping = systemClock.sleep(60_000, controller.signal)
    controller.abort()
    await sleeping
    expect(systemClock.now() - start).toBeLessThan(1000)
  })
})

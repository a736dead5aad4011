import {
  DEFAULT_CURVE_CAP,
  LossCurveRecorder,
  type LossPoint
} from '../src/loss-curve.js'

function record(count: number, cap?: number): LossPoint[] {
  const recorder = new LossCurveRecorder(cap)
  for (let i = 1; i <= count; i++) recorder.add('train', 1 / i, i)
  return recorder.snapshot().train
}

describe('LossCurveRecorder', () => {
  it.each([
    [1_000_000, DEFAULT_CURVE_CAP],
    [1_000_000, 2],
    [1_000_000, 3],
    [1_000_000, 1000],
    [100_003, 7],
    [DEFAULT_CURVE_CAP + 1, DEFAULT_CURVE_CAP],
    [DEFAULT_CURVE_CAP, DEFAULT_CURVE_CAP],
    [DEFAULT_CURVE_CAP - 1, DEFAULT_CURVE_CAP]
  ])(
    'keeps %i points within a cap of %i, first and last included',
    (count, cap) => {
      const points = record(count, cap)

      expect(points.length).toBeLessThanOrEqual(cap)
      expect(points[0]).toEqual({ step: 1, value: 1 })
      expect(points.at(-1)).toEqual({ step: count, value: 1 / count })
      for (let i = 1; i < points.length; i++) {
        expect(points[i]!.step).toBeGreaterThan(points[i - 1]!.step)
      }
    }
  )

  it.each([
    [1, 1],
    [2, 2],
    [150, 150],
    [200, 200]
  ])('keeps all of %i points while they fit', (count, kept) => {
    expect(record(count)).toHaveLength(kept)
  })

  it.each([1_000, 54_321, 1_000_000])(
    'spreads what it keeps of %i points evenly over the run',
    count => {
      const points = record(count)
      // Every kept point but the newest sits on one stride; the newest may
      // sit closer to the one before it, never farther.
      const gaps = points.slice(1).map((p, i) => p.step - points[i]!.step)
      const stride = gaps[0]!
      expect(gaps.slice(0, -1).every(gap => gap === stride)).toBe(true)
      expect(gaps.at(-1)).toBeLessThanOrEqual(stride)
      // And at least half the cap is in use, so the curve keeps its detail.
      expect(points.length).toBeGreaterThanOrEqual(DEFAULT_CURVE_CAP / 2)
    }
  )

  it('places points without a step at the running count of their series', () => {
    const recorder = new LossCurveRecorder()
    recorder.add('train', 2.0)
    recorder.add('eval', 2.5)
    recorder.add('train', 1.5)
    recorder.add('train', 1.0)
    expect(recorder.snapshot()).toEqual({
      train: [
        { step: 1, value: 2.0 },
        { step: 2, value: 1.5 },
        { step: 3, value: 1.0 }
      ],
      eval: [{ step: 1, value: 2.5 }],
      cap: DEFAULT_CURVE_CAP,
      seen: { train: 3, eval: 1 }
    })
  })

  it.each([NaN, Infinity, -Infinity])(
    'skips a value of %s without counting it',
    value => {
      const recorder = new LossCurveRecorder()
      recorder.add('train', 1.0, 1)
      recorder.add('train', value, 2)
      recorder.add('train', 0.5)
      const { train, seen } = recorder.snapshot()
      expect(train).toEqual([
        { step: 1, value: 1.0 },
        { step: 2, value: 0.5 }
      ])
      expect(seen.train).toBe(2)
    }
  )

  it('orders points by step when the log is out of order', () => {
    const recorder = new LossCurveRecorder()
    for (const step of [3, 1, 2, 5, 4]) recorder.add('eval', step / 10, step)
    expect(recorder.snapshot().eval.map(p => p.step)).toEqual([1, 2, 3, 4, 5])
  })

  it('keeps the series apart', () => {
    const recorder = new LossCurveRecorder(10)
    for (let i = 1; i <= 1000; i++) recorder.add('train', 1, i)
    recorder.add('eval', 3, 500)
    const { train, eval: evals } = recorder.snapshot()
    expect(train.length).toBeLessThanOrEqual(10)
    expect(evals).toEqual([{ step: 500, value: 3 }])
  })

  it.each([0, 1, 2.5, NaN, -5])('refuses a cap of %s', cap => {
    expect(() => new LossCurveRecorder(cap)).toThrow(RangeError)
  })
})

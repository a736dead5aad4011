// The loss curve of a run, kept in bounded memory however long the log is.
//
// A job can log a loss for every step of a run of a million steps, and the
// action follows the whole log, so keeping every point is not an option. Each
// series keeps every k-th point it is given; when its buffer fills, k doubles
// and every other kept point is dropped. What remains is spread evenly over
// the whole run at any moment, the first point is never dropped (its index is
// a multiple of every k), and the newest point is held aside so that the
// curve always ends where the run is now.

/** One point of a series: the training step and the loss there. */
export interface LossPoint {
  step: number
  value: number
}

export type LossSeries = 'train' | 'eval'

export interface LossCurve {
  /** Train loss by step, ordered by step. */
  train: LossPoint[]
  /** Eval loss by step, ordered by step. */
  eval: LossPoint[]
  /** The most points either series holds; a chart may show no more. */
  cap: number
  /** How many finite points each series was given before thinning. */
  seen: { train: number; eval: number }
}

/** How many points each series keeps unless told otherwise. */
export const DEFAULT_CURVE_CAP = 200

interface Kept extends LossPoint {
  /** Position among the points given, which decides what thinning keeps. */
  index: number
}

class ThinnedSeries {
  private readonly kept: Kept[] = []
  private newest: Kept | undefined
  private stride = 1
  private given = 0

  constructor(private readonly cap: number) {}

  get count(): number {
    return this.given
  }

  add(step: number, value: number): void {
    // The buffer may be full only while its last point is the newest, so it
    // is thinned before a point arrives, not after: a run that fits in the
    // cap keeps every point, and a longer one never holds more than the cap.
    if (this.kept.length >= this.cap) {
      this.stride *= 2
      let write = 0
      for (const p of this.kept) {
        if (p.index % this.stride === 0) this.kept[write++] = p
      }
      this.kept.length = write
    }

    const point: Kept = { step, value, index: this.given++ }
    this.newest = point
    if (point.index % this.stride === 0) this.kept.push(point)
  }

  points(): LossPoint[] {
    const all: LossPoint[] = this.kept.map(p => ({
      step: p.step,
      value: p.value
    }))
    const newest = this.newest
    if (newest && this.kept[this.kept.length - 1] !== newest) {
      all.push({ step: newest.step, value: newest.value })
    }

    // Two log streams are merged, so steps can arrive out of order; a chart
    // wants them in order. Array.prototype.sort is stable, so a step logged
    // twice keeps its arrival order.
    return all.sort((a, b) => a.step - b.step)
  }
}

export class LossCurveRecorder {
  readonly cap: number
  private readonly series: Record<LossSeries, ThinnedSeries>

  /** @param cap the most points kept per series; at least 2 */
  constructor(cap = DEFAULT_CURVE_CAP) {
    if (!Number.isInteger(cap) || cap < 2) {
      throw new RangeError(`curve cap must be an integer of 2 or more: ${cap}`)
    }
    this.cap = cap
    this.series = {
      train: new ThinnedSeries(cap),
      eval: new ThinnedSeries(cap)
    }
  }

  /**
   * Adds a point. Without a step the point is placed at the running count of
   * its series (1 for the first point). A non-finite value cannot be drawn,
   * so it is skipped and not counted.
   */
  add(series: LossSeries, value: number, step?: number): void {
    if (!Number.isFinite(value)) return
    const target = this.series[series]
    const at =
      step !== undefined && Number.isFinite(step) ? step : target.count + 1
    target.add(at, value)
  }

  snapshot(): LossCurve {
    return {
      train: this.series.train.points(),
      eval: this.series.eval.points(),
      cap: this.cap,
      seen: { train: this.series.train.count, eval: this.series.eval.count }
    }
  }
}

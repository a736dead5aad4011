import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import {
  MetricsReader,
  tokenUsage,
  type TrainingMetrics
} from '../src/metrics.js'

const FIXTURES = join(import.meta.dirname, '../src/simulator/fixtures/logs')

function readAll(lines: string[], curveCap?: number): MetricsReader {
  const reader = new MetricsReader(curveCap)
  for (const line of lines) reader.read(line)
  return reader
}

function fixture(name: string): string[] {
  return readFileSync(join(FIXTURES, name), 'utf8').split('\n')
}

describe('MetricsReader', () => {
  // Every line here is copied from a real log in the fixtures.
  it.each<[string, TrainingMetrics]>([
    [
      "{'learning_rate': 0.0, 'consumed_train_samples': 48, 'consumed_train_tokens': 393216, 'global_step/max_steps': '3/3', 'loss': 1.00644}",
      { trainLoss: 1.00644, step: 3, maxSteps: 3 }
    ],
    [
      "{'eval_loss': 1.1319, 'eval_ppl': 3.1014094824472096, 'global_step/max_steps': '3/3'}",
      { evalLoss: 1.1319, step: 3, maxSteps: 3 }
    ],
    [
      "{'train_runtime': 216.3999, 'train_samples_per_second': 2.066, 'train_steps_per_second': 0.014, 'train_loss': 0.9122632344563802, 'epoch': 0.8571428571428571}",
      {
        trainLoss: 0.9122632344563802,
        epoch: 0.8571428571428571,
        trainRuntimeSeconds: 216.3999
      }
    ],
    [
      ' Actual number of consumed tokens is 279808!',
      { consumedTokens: 279808 }
    ],
    ['Actual number of consumed tokens is 393216!', { consumedTokens: 393216 }],
    [
      ' Actual number of consumed tokens is 215040 !',
      { consumedTokens: 215040 }
    ],
    [
      '2023-09-11 11:28:04,550 - dashscope - INFO -  Actual number of consumed tokens is 310710!',
      { consumedTokens: 310710 }
    ],
    [
      ' use checkpoint-3 as final checkpoint',
      { finalCheckpoint: 'checkpoint-3' }
    ],
    [
      '2024-10-29 17:11:25,130 - INFO - training usage 279808',
      { trainingUsage: 279808 }
    ],
    [
      '2025-12-06 20:44:40,093 - INFO - training usage 393216',
      { trainingUsage: 393216 }
    ],
    [
      '2023-09-11 11:26:02,870 - dashscope - INFO -  epoch [1][5/13]\tlr: 2.000e-06, memory: 16580, loss: 6.1750, consumed_train_tokens: 12595.0000, consumed_train_samples: 48.0000, consumed_train_tokens_with_padding: 6192.0000',
      { trainLoss: 6.175, step: 5, epoch: 5 / 13 }
    ],
    [
      '2023-09-11 11:27:55,289 - dashscope - INFO -  epoch [10][5/13]\tlr: 1.020e-05, memory: 17020, loss: 6.1750, consumed_train_tokens: 289366.2000, consumed_train_samples: 1920.0000, consumed_train_tokens_with_padding: 247680.0000',
      { trainLoss: 6.175, step: 122, epoch: 9 + 5 / 13 }
    ],
    [
      '2023-09-11 11:28:04,491 - dashscope - INFO -  epoch(eval) [10][100]\tmemory: 17020, evaluation/acc: 0.3044, evaluation/loss: 6.1887',
      { evalLoss: 6.1887 }
    ]
  ])('reads the real line %j', (line, expected) => {
    expect(readAll([line]).metrics).toEqual(expected)
  })

  it.each([
    '2025-12-06 20:26:57,402 - INFO - data download succeeded, start to pre-processor',
    'Training start!',
    'Estimated time: 7.333333333333334 mins',
    'Estimated token: 393216',
    'Training completed',
    ' Uploaded checkpoint!',
    ' Fine-tune succeeded!',
    '2024-10-29 17:11:24,689 - INFO - finetune-job succeeded',
    '2024-10-29 17:11:25,175 - INFO - ##FT_COMPLETE##',
    '2023-09-11 11:25:57,045 - dashscope - INFO -  Fine-tune estimated time: 74.48 mins!',
    '2023-09-11 11:25:57,560 - dashscope - INFO -  Fine-tune started',
    ''
  ])('reads nothing from the real line %j', line => {
    expect(readAll([line]).metrics).toEqual({})
  })

  it.each<[string, string, TrainingMetrics]>([
    [
      'double quotes',
      '{"loss": 0.5, "global_step": 7, "max_steps": 70}',
      { trainLoss: 0.5, step: 7, maxSteps: 70 }
    ],
    ['nan', "{'loss': nan}", { trainLoss: NaN, step: 1 }],
    ['inf', "{'loss': inf}", { trainLoss: Infinity, step: 1 }],
    ['-inf', "{'eval_loss': -inf}", { evalLoss: -Infinity }],
    ['an exponent', "{'loss': 1.2e-05}", { trainLoss: 0.000012, step: 1 }],
    [
      'np.float64',
      "{'loss': np.float64(0.912), 'epoch': np.float64(1.0)}",
      { trainLoss: 0.912, epoch: 1, step: 1 }
    ],
    ['np.float32', "{'eval_loss': np.float32(1.5)}", { evalLoss: 1.5 }],
    [
      'numpy.float64',
      "{'loss': numpy.float64(2.25)}",
      { trainLoss: 2.25, step: 1 }
    ],
    [
      'np.int64 as a step',
      "{'loss': 0.3, 'global_step': np.int64(12)}",
      { trainLoss: 0.3, step: 12 }
    ],
    [
      'a torch tensor',
      "{'loss': tensor(0.25, device='cuda:0'), 'global_step': 2}",
      { trainLoss: 0.25, step: 2 }
    ],
    [
      'np.float64(nan)',
      "{'loss': np.float64(nan)}",
      { trainLoss: NaN, step: 1 }
    ],
    [
      'True, False and None beside a loss',
      "{'is_best': True, 'done': False, 'note': None, 'loss': 0.7}",
      { trainLoss: 0.7, step: 1 }
    ],
    [
      'string values',
      "{'loss': 0.3, 'percentage': '30.00%', 'elapsed_time': '1m 2s', 'global_step/max_steps': '30/100'}",
      { trainLoss: 0.3, step: 30, maxSteps: 100 }
    ],
    [
      'a dict after a logging prefix',
      "2024-10-29 17:11:25,130 - INFO - {'eval_loss': 1.1319}",
      { evalLoss: 1.1319 }
    ],
    [
      'a dict after the 2023 prefix',
      "2023-09-11 11:26:02,870 - dashscope - INFO -  {'loss': 2.5, 'epoch': 0.5}",
      { trainLoss: 2.5, epoch: 0.5, step: 1 }
    ],
    [
      'a prefix holding a brace of its own',
      "[rank{0}] {'loss': 0.4, 'global_step': 9}",
      { trainLoss: 0.4, step: 9 }
    ],
    [
      'text after the dict',
      "{'loss': 0.4, 'global_step': 9} (rank 0)",
      { trainLoss: 0.4, step: 9 }
    ],
    [
      'lists, nested dicts and object reprs beside a loss',
      "{'lr': [1e-05, 2e-05], 'cfg': {'a': (1, 2)}, 'obj': <Foo at 0x7f>, 'loss': 0.3, 'global_step': 4}",
      { trainLoss: 0.3, step: 4 }
    ],
    [
      'an escaped quote in a string',
      "{'msg': 'it\\'s done, {really}', 'loss': 0.1}",
      { trainLoss: 0.1, step: 1 }
    ],
    ['a trailing comma', "{'loss': 0.1,}", { trainLoss: 0.1, step: 1 }],
    [
      'a truncated dict as nothing',
      "{'loss': 1.0, 'global_step/max_steps': '3/",
      {}
    ],
    ['a loss given as a string as no loss', "{'loss': '0.5'}", {}],
    [
      'a step without a loss',
      "{'global_step/max_steps': '3/10'}",
      { step: 3, maxSteps: 10 }
    ],
    [
      'a 2023 evaluation line',
      '2023-09-11 11:26:11,664 - dashscope - INFO -  epoch(eval) [1][100]\tmemory: 16730, evaluation/acc: 0.3038, evaluation/loss: 6.2675',
      { evalLoss: 6.2675 }
    ],
    [
      'a 2023 loss of nan',
      'epoch [2][4/8]\tlr: 1.0e-05, loss: nan, memory: 1',
      { trainLoss: NaN, step: 12, epoch: 1.5 }
    ],
    [
      'an overlong token count as nothing',
      'training usage 123456789012345678901234',
      {}
    ],
    [
      'a checkpoint with another name',
      ' use checkpoint-1200 as final checkpoint',
      { finalCheckpoint: 'checkpoint-1200' }
    ]
  ])('reads %s', (_name, line, expected) => {
    expect(readAll([line]).metrics).toEqual(expected)
  })

  it.each<[string, string[], TrainingMetrics]>([
    [
      'the closing train_loss over a per-step loss read after it',
      ["{'train_loss': 0.9}", "{'loss': 1.5}"],
      { trainLoss: 0.9, step: 1 }
    ],
    [
      'the last per-step loss when no train_loss closes the run',
      ["{'loss': 1.5}", "{'loss': 1.25}"],
      { trainLoss: 1.25, step: 2 }
    ],
    [
      'the last eval loss',
      ["{'eval_loss': 2.0}", "{'eval_loss': 1.75}"],
      { evalLoss: 1.75 }
    ],
    [
      'the last consumed tokens count',
      [
        ' Actual number of consumed tokens is 215040 !',
        ' Actual number of consumed tokens is 419840 !'
      ],
      { consumedTokens: 419840 }
    ],
    [
      'the last global step even when it goes back',
      ["{'loss': 1.0, 'global_step': 5}", "{'loss': 1.1, 'global_step': 4}"],
      { trainLoss: 1.1, step: 4 }
    ]
  ])('keeps %s', (_name, lines, expected) => {
    expect(readAll(lines).metrics).toEqual(expected)
  })

  it.each<[string, TrainingMetrics]>([
    [
      'cpt-2025.txt',
      {
        trainLoss: 1.00644,
        evalLoss: 1.1319,
        trainingUsage: 393216,
        consumedTokens: 393216,
        step: 3,
        maxSteps: 3
      }
    ],
    [
      'docs-sample-tail.txt',
      {
        trainLoss: 0.9122632344563802,
        trainingUsage: 279808,
        consumedTokens: 279808,
        epoch: 0.8571428571428571,
        trainRuntimeSeconds: 216.3999,
        finalCheckpoint: 'checkpoint-3'
      }
    ],
    ['video-lora-2025.txt', { consumedTokens: 3901440 }],
    [
      'sft-2023-excerpt.txt',
      {
        trainLoss: 6.175,
        evalLoss: 6.1887,
        consumedTokens: 310710,
        epoch: 9 + 5 / 13,
        step: 122
      }
    ]
  ])('reads the whole real log %s', (name, expected) => {
    expect(readAll(fixture(name)).metrics).toEqual(expected)
  })

  it('places 2023 evaluations at the training step reached before them', () => {
    const { curve } = readAll(fixture('sft-2023-excerpt.txt'))
    expect(curve.train).toEqual([
      { step: 5, value: 6.175 },
      { step: 10, value: 6.25 },
      { step: 122, value: 6.175 }
    ])
    expect(curve.eval).toEqual([
      { step: 10, value: 6.2675 },
      { step: 122, value: 6.1887 }
    ])
  })

  it.each<[string, string[], number[], number[]]>([
    [
      'steps named by the dicts',
      [
        "{'loss': 2.0, 'global_step/max_steps': '10/30'}",
        "{'eval_loss': 2.5, 'global_step/max_steps': '10/30'}",
        "{'loss': 1.0, 'global_step/max_steps': '20/30'}"
      ],
      [10, 20],
      [10]
    ],
    [
      'the running count of losses where no step is named',
      ["{'loss': 2.0}", "{'loss': 1.5}", "{'eval_loss': 1.8}", "{'loss': 1.0}"],
      [1, 2, 3],
      [2]
    ],
    [
      'the running count of evaluations before any training step',
      ["{'eval_loss': 2.0}", "{'eval_loss': 1.8}"],
      [],
      [1, 2]
    ]
  ])('puts curve points at %s', (_name, lines, trainSteps, evalSteps) => {
    const { curve } = readAll(lines)
    expect(curve.train.map(p => p.step)).toEqual(trainSteps)
    expect(curve.eval.map(p => p.step)).toEqual(evalSteps)
  })

  it('keeps non-finite losses out of the curve but in the metrics', () => {
    const reader = readAll(["{'loss': 1.0}", "{'loss': nan}", "{'loss': inf}"])
    expect(reader.metrics.trainLoss).toBe(Infinity)
    expect(reader.metrics.step).toBe(3)
    expect(reader.curve.train).toEqual([{ step: 1, value: 1 }])
  })

  it('never throws on garbage and reads only numbers from it', () => {
    const random = mulberry32(20240611)
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      '(',
      ')',
      "'",
      '"',
      '\\',
      ':',
      ',',
      ' ',
      '\t',
      '\n',
      "'loss'",
      "'eval_loss'",
      "'global_step/max_steps'",
      "'3/3'",
      'nan',
      '-inf',
      'True',
      'None',
      'np.float64(',
      'tensor(',
      '1.2e-05',
      '-',
      '.',
      'e',
      '7',
      'epoch [',
      'epoch(eval) [',
      '][',
      '/',
      'loss: ',
      'training usage ',
      'consumed tokens is ',
      ' use ',
      ' as final checkpoint',
      '\u0000',
      '😀',
      '\ud800'
    ]
    const lines: unknown[] = [
      '{'.repeat(100_000),
      "{'loss': " + '['.repeat(100_000),
      "{'loss': '" + 'x'.repeat(100_000),
      'x'.repeat(1_000_000) + "{'loss': 1.0}",
      "{'loss': np.float64(np.float64(np.float64(1)))}",
      undefined,
      null,
      42
    ]
    for (let i = 0; i < 500; i++) {
      let line = ''
      const length = Math.floor(random() * 40)
      for (let j = 0; j < length; j++) {
        line += pieces[Math.floor(random() * pieces.length)]
      }
      lines.push(line)
    }

    const reader = new MetricsReader()
    for (const line of lines) {
      expect(() => reader.read(line as string)).not.toThrow()
    }
    for (const [key, value] of Object.entries(reader.metrics)) {
      const expected = key === 'finalCheckpoint' ? 'string' : 'number'
      expect([key, typeof value]).toEqual([key, expected])
    }
  })

  it('reads a million lines in bounded memory', () => {
    const reader = new MetricsReader(100)
    const started = Date.now()
    for (let step = 1; step <= 1_000_000; step++) {
      reader.read(
        `{'loss': ${1 / step}, 'learning_rate': 1e-05, 'global_step/max_steps': '${step}/1000000'}`
      )
      reader.read('2024-10-29 17:11:25,130 - INFO - an ordinary pipeline line')
    }
    const elapsed = Date.now() - started

    const { curve, metrics } = reader
    expect(metrics).toEqual({
      trainLoss: 1 / 1_000_000,
      step: 1_000_000,
      maxSteps: 1_000_000
    })
    expect(curve.train.length).toBeLessThanOrEqual(100)
    expect(curve.seen.train).toBe(1_000_000)
    console.log(`read 2,000,000 lines in ${elapsed} ms`)
  })
})

describe('tokenUsage', () => {
  it.each<[string, TrainingMetrics, number | undefined, number | undefined]>([
    [
      'the training usage line over everything',
      { trainingUsage: 279808, consumedTokens: 1 },
      500,
      279808
    ],
    [
      "the job's usage over consumed tokens",
      { consumedTokens: 3901440 },
      3000000,
      3000000
    ],
    [
      'consumed tokens when the job has none',
      { consumedTokens: 7 },
      undefined,
      7
    ],
    ['consumed tokens over a usage of 0', { consumedTokens: 7 }, 0, 7],
    ['consumed tokens over a NaN usage', { consumedTokens: 7 }, NaN, 7],
    ['consumed tokens over a negative usage', { consumedTokens: 7 }, -3, 7],
    [
      'consumed tokens over an infinite usage',
      { consumedTokens: 7 },
      Infinity,
      7
    ],
    ['nothing when nothing is known', {}, undefined, undefined],
    ['nothing for a usage of 0 alone', {}, 0, undefined]
  ])('takes %s', (_name, metrics, jobUsage, expected) => {
    expect(tokenUsage(metrics, jobUsage)).toBe(expected)
  })
})

// A small seeded generator, so that a failing fuzz case can be replayed.
function mulberry32(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

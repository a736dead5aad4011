// The README's tables of inputs and outputs are what users copy from, and
// action.yml is what the runner obeys. These tests keep the two in step:
// same names, same order, same defaults, same required flags.

import { readFileSync } from 'node:fs'
import { parse, parseDocument } from 'yaml'
import {
  readReadme,
  tableHeaded,
  unquoteCell,
  type MarkdownTable
} from './support/readme.js'

const ACTION_YML = readFileSync(
  new URL('../action.yml', import.meta.url),
  'utf8'
)

/** One input or output, as action.yml declares it or the README shows it. */
interface Entry {
  name: string
  required?: boolean
  /** Undefined when there is no default. */
  default?: string
}

interface Documented {
  inputs: Entry[]
  outputs: Entry[]
}

function declaredIn(actionYml: string): Documented {
  const action = parse(actionYml) as {
    inputs?: Record<string, { required?: boolean; default?: unknown }>
    outputs?: Record<string, unknown>
  }
  return {
    inputs: Object.entries(action.inputs ?? {}).map(([name, input]) => ({
      name,
      required: input.required === true,
      default: input.default === undefined ? undefined : String(input.default)
    })),
    outputs: Object.keys(action.outputs ?? {}).map(name => ({ name }))
  }
}

function column(table: MarkdownTable, title: string): number {
  const index = table.header.indexOf(title)
  if (index < 0) {
    throw new Error(
      `The "${table.header[0]}" table has no "${title}" column ` +
        `(columns: ${table.header.join(', ')}).`
    )
  }
  return index
}

function documentedIn(readme: string): Documented {
  const inputs = tableHeaded(readme, 'Input')
  const required = column(inputs, 'Required')
  const fallback = column(inputs, 'Default')
  const outputs = tableHeaded(readme, 'Output')
  return {
    inputs: inputs.rows.map(row => {
      const flag = row[required] ?? ''
      const shown = row[fallback] ?? ''
      return {
        name: unquoteCell(row[0] ?? ''),
        // Anything but yes or no is a typo, and must not pass for either.
        required: flag === 'yes' ? true : flag === 'no' ? false : undefined,
        default: shown === '' ? undefined : unquoteCell(shown)
      }
    }),
    outputs: outputs.rows.map(row => ({ name: unquoteCell(row[0] ?? '') }))
  }
}

function summarize(entry: Entry | undefined): string {
  if (entry === undefined) return 'missing'
  const parts = [entry.name]
  if (entry.required !== undefined) {
    parts.push(entry.required ? 'required' : 'optional')
  }
  if (entry.default !== undefined) parts.push(`default "${entry.default}"`)
  return parts.join(', ')
}

/** Every way the README's tables differ from action.yml, one per line. */
function disagreements(actionYml: string, readme: string): string[] {
  const declared = declaredIn(actionYml)
  const documented = documentedIn(readme)
  const problems: string[] = []

  for (const kind of ['inputs', 'outputs'] as const) {
    const problemsBefore = problems.length
    const shown = new Map(documented[kind].map(e => [e.name, e]))
    const real = new Map(declared[kind].map(e => [e.name, e]))
    for (const name of new Set([...shown.keys(), ...real.keys()])) {
      const a = real.get(name)
      const b = shown.get(name)
      if (
        a === undefined ||
        b === undefined ||
        a.required !== b.required ||
        a.default !== b.default
      ) {
        problems.push(
          `${kind} ${name}: action.yml says ${summarize(a)}, ` +
            `README says ${summarize(b)}`
        )
      }
    }
    if (documented[kind].length !== shown.size) {
      problems.push(`${kind}: the README lists a name twice`)
    }
    const order = (list: Entry[]) => list.map(e => e.name).join(', ')
    // Order only means something once the names agree.
    if (
      problems.length === problemsBefore &&
      order(declared[kind]) !== order(documented[kind])
    ) {
      problems.push(
        `${kind}: the README's order (${order(documented[kind])}) is not ` +
          `action.yml's (${order(declared[kind])})`
      )
    }
  }
  return problems
}

describe('the README tables of inputs and outputs', () => {
  test('match action.yml in names, order, defaults and required flags', () => {
    // An action.yml read as empty would agree with an empty table.
    expect(declaredIn(ACTION_YML).inputs.length).toBeGreaterThan(0)
    expect(disagreements(ACTION_YML, readReadme())).toEqual([])
  })
})

// The check above is only worth having if it notices a change on either
// side. Each case edits one copy and expects the disagreement to be named.
describe('the tables check', () => {
  const readme = readReadme()

  /** action.yml with one value set, as a person editing it would. */
  function editedAction(path: string[], value: unknown): string {
    const document = parseDocument(ACTION_YML)
    document.setIn(path, value)
    return document.toString()
  }

  test.each([
    {
      change: 'a default changed in action.yml',
      actionYml: editedAction(['inputs', 'poll-interval', 'default'], '20'),
      readme,
      expected:
        /inputs poll-interval: action.yml says .*"20".*README says .*"15"/
    },
    {
      change: 'an input made required in action.yml',
      actionYml: editedAction(['inputs', 'workspace', 'required'], true),
      readme,
      expected: /inputs workspace: action.yml says workspace, required/
    },
    {
      change: 'a new input in action.yml',
      actionYml: editedAction(['inputs', 'dry-run'], {
        description: 'Follow nothing.',
        required: false
      }),
      readme,
      expected: /inputs dry-run: .*README says missing/
    },
    {
      change: 'an output dropped from the README',
      actionYml: ACTION_YML,
      readme: readme.replace(/^\| `epoch` .*\n/m, ''),
      expected: /outputs epoch: .*README says missing/
    },
    {
      change: 'a default dropped from the README',
      actionYml: ACTION_YML,
      readme: readme.replace('| `340`', '|      '),
      expected:
        /inputs timeout: .*default "340".*README says timeout, optional$/
    },
    {
      change: 'a misspelt required flag in the README',
      actionYml: ACTION_YML,
      readme: readme.replace(/^(\| `job-id` +\| )yes/m, '$1yse'),
      expected: /inputs job-id: .*README says job-id$/
    }
  ])('names $change', ({ actionYml, readme: changed, expected }) => {
    // The edit must have taken, or the case would prove nothing.
    expect(actionYml !== ACTION_YML || changed !== readme).toBe(true)
    expect(disagreements(actionYml, changed).join('\n')).toMatch(expected)
  })

  test('names rows in another order than action.yml', () => {
    const swapped = readme.replace(
      /^(\| `job-id` .*\n)(\| `api-key` .*\n)/m,
      '$2$1'
    )
    expect(swapped).not.toBe(readme)
    expect(disagreements(ACTION_YML, swapped)).toEqual([
      expect.stringMatching(/^inputs: the README's order \(api-key, job-id,/)
    ])
  })
})

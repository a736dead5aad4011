// Every workflow this repository runs or shows a user is checked with
// GitHub's own workflow parser, `@actions/workflow-parser`: the schema
// (keys, types, required properties) and the expressions inside `${{ }}`
// and `if:`. A YAML linter would accept `runs_on:` or `steps: echo`; the
// runner would refuse the whole workflow. On top of the schema, every use of
// this action is held to action.yml: only inputs it has, every required one,
// and only outputs it sets.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import {
  convertWorkflowTemplate,
  parseWorkflow,
  type TraceWriter
} from '@actions/workflow-parser'
import { parseAction } from '@actions/workflow-parser/actions/index'
import { parse, parseDocument } from 'yaml'
import { readCodeBlocks, readReadme } from './support/readme.js'

const ROOT = new URL('../', import.meta.url)
const WORKFLOWS = new URL('.github/workflows/', ROOT)

function readRepoFile(path: string): string {
  return readFileSync(new URL(path, ROOT), 'utf8')
}

const ACTION_YML = readRepoFile('action.yml')
const ACTION = parse(ACTION_YML) as {
  inputs: Record<string, { required?: boolean }>
  outputs: Record<string, unknown>
}

/** Everything GitHub's parser finds wrong with a workflow, one per line. */
async function workflowErrors(
  name: string,
  content: string
): Promise<string[]> {
  const traced: string[] = []
  const trace: TraceWriter = {
    error: message => traced.push(message),
    info: () => {},
    verbose: () => {}
  }
  const result = parseWorkflow({ name, content }, trace)
  if (result.value !== undefined) {
    // Conversion adds the checks that span the file, such as a `needs:` that
    // names no job; its errors land in the same context.
    await convertWorkflowTemplate(result.context, result.value)
  }
  const found = result.context.errors.getErrors().map(error => error.message)
  return [...new Set([...found, ...traced])]
}

/** A whole workflow, as opposed to a fragment of steps. */
function isWholeWorkflow(value: unknown): value is Workflow {
  return (
    typeof value === 'object' &&
    value !== null &&
    'on' in value &&
    'jobs' in value
  )
}

interface Step {
  id?: string
  uses?: string
  with?: Record<string, unknown>
}

interface Workflow {
  jobs: Record<string, { steps?: Step[]; outputs?: Record<string, unknown> }>
}

function isThisAction(uses: string | undefined): boolean {
  return uses === './' || /(^|\/)dashscope-fine-tune-gate@/.test(uses ?? '')
}

/** The steps of a whole workflow, or of a fragment that is a list of steps. */
function stepsOf(value: unknown): Step[] {
  if (isWholeWorkflow(value)) {
    return Object.values(value.jobs).flatMap(job => job.steps ?? [])
  }
  return Array.isArray(value) ? (value as Step[]) : []
}

/**
 * What a set of YAML texts gets wrong about this action: `with:` keys it
 * does not have, required inputs left out, and `steps.<id>.outputs.<name>`
 * or `needs.<job>.outputs.<name>` that nothing sets. Texts are read
 * together, since a README fragment can use a step id that an earlier
 * example defined.
 */
function actionUseProblems(texts: string[]): string[] {
  const values = texts.map(text => parse(text) as unknown)
  const problems: string[] = []
  const actionStepIds = new Set<string>()

  for (const step of values.flatMap(stepsOf)) {
    if (!isThisAction(step.uses)) continue
    if (step.id) actionStepIds.add(step.id)
    const given = Object.keys(step.with ?? {})
    for (const name of given) {
      if (!(name in ACTION.inputs)) {
        problems.push(`step ${step.id ?? step.uses} passes unknown '${name}'`)
      }
    }
    for (const [name, input] of Object.entries(ACTION.inputs)) {
      if (input.required && !given.includes(name)) {
        problems.push(`step ${step.id ?? step.uses} leaves out '${name}'`)
      }
    }
  }

  const jobOutputs = new Map<string, string[]>()
  for (const value of values) {
    if (!isWholeWorkflow(value)) continue
    for (const [id, job] of Object.entries(value.jobs)) {
      jobOutputs.set(id, Object.keys(job.outputs ?? {}))
    }
  }

  const text = texts.join('\n')
  for (const [, id, name] of text.matchAll(
    /\bsteps\.([\w-]+)\.outputs\.([\w-]+)/g
  )) {
    if (actionStepIds.has(id ?? '') && !((name ?? '') in ACTION.outputs)) {
      problems.push(`steps.${id}.outputs.${name} is not an output`)
    }
  }
  for (const [, job, name] of text.matchAll(
    /\bneeds\.([\w-]+)\.outputs\.([\w-]+)/g
  )) {
    if (!jobOutputs.get(job ?? '')?.includes(name ?? '')) {
      problems.push(`needs.${job}.outputs.${name} is not set by job ${job}`)
    }
  }
  return problems
}

const workflowFiles = readdirSync(WORKFLOWS).filter(file =>
  /\.ya?ml$/.test(file)
)

describe('the workflow files', () => {
  test('include CI and the usage example', () => {
    expect(workflowFiles).toEqual(
      expect.arrayContaining(['ci.yml', 'example.yml'])
    )
  })

  test.each(workflowFiles)(
    '%s passes GitHub’s workflow parser with no errors',
    async file => {
      const content = readRepoFile(`.github/workflows/${file}`)
      expect(await workflowErrors(file, content)).toEqual([])
    }
  )

  test.each(workflowFiles)(
    '%s uses the action with real inputs and outputs only',
    file => {
      const content = readRepoFile(`.github/workflows/${file}`)
      expect(actionUseProblems([content])).toEqual([])
    }
  )
})

describe('the YAML examples in the README', () => {
  const blocks = readCodeBlocks(readReadme(), 'yaml')
  const whole = blocks.filter(block => isWholeWorkflow(parse(block.text)))

  test('include whole workflows as well as fragments', () => {
    expect(whole.length).toBeGreaterThanOrEqual(2)
    expect(blocks.length).toBeGreaterThan(whole.length)
  })

  test.each(blocks.map(block => [block.line, block]))(
    'the block at line %i is valid YAML',
    (_line, block) => {
      const document = parseDocument(block.text, { uniqueKeys: true })
      expect([...document.errors, ...document.warnings]).toEqual([])
    }
  )

  test.each(whole.map(block => [block.line, block]))(
    'the workflow at line %i passes GitHub’s workflow parser',
    async (line, block) => {
      const name = `README.md (block at line ${line})`
      expect(await workflowErrors(name, block.text)).toEqual([])
    }
  )

  test('use the action with real inputs and outputs only', () => {
    expect(actionUseProblems(blocks.map(block => block.text))).toEqual([])
  })
})

// The checks above pass on good files; these show that they fail on bad
// ones. Each case breaks a copy of the README's quick start in one way.
describe('the workflow check', () => {
  const quickStart = readCodeBlocks(readReadme(), 'yaml').find(block =>
    isWholeWorkflow(parse(block.text))
  )?.text as string

  test('starts from a quick start that is itself clean', async () => {
    expect(quickStart).toContain('runs-on: ubuntu-latest')
    expect(await workflowErrors('quick-start.yml', quickStart)).toEqual([])
  })

  test('rejects a misspelt runs-on', async () => {
    // jobs:
    //   train:
    //     runs_on: ubuntu-latest
    const broken = quickStart.replace(
      'runs-on: ubuntu-latest',
      'runs_on: ubuntu-latest'
    )
    expect(await workflowErrors('broken.yml', broken)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("Unexpected value 'runs_on'"),
        expect.stringContaining('Required property is missing: runs-on')
      ])
    )
  })

  test('rejects steps written as a string', async () => {
    // jobs:
    //   deploy:
    //     steps: echo "Deploying"
    const document = parseDocument(quickStart)
    document.setIn(['jobs', 'deploy', 'steps'], 'echo "Deploying"')
    const errors = await workflowErrors('broken.yml', document.toString())
    expect(errors).toEqual([
      expect.stringContaining(`Unexpected value 'echo "Deploying"'`)
    ])
  })

  test('rejects an expression that names an unknown context', async () => {
    // api-key: ${{ secret.DASHSCOPE_API_KEY }}
    const broken = quickStart.replace('secrets.DASHSCOPE', 'secret.DASHSCOPE')
    expect(broken).not.toBe(quickStart)
    expect(await workflowErrors('broken.yml', broken)).toEqual([
      expect.stringContaining("Unrecognized named-value: 'secret'")
    ])
  })

  test('rejects a job that needs a job that does not exist', async () => {
    // needs: training
    const broken = quickStart.replace('needs: train', 'needs: training')
    expect(broken).not.toBe(quickStart)
    expect(await workflowErrors('broken.yml', broken)).toEqual([
      expect.stringContaining("unknown job 'training'")
    ])
  })

  test('names inputs and outputs that action.yml lacks', () => {
    const broken = quickStart
      .replace('job-id: ${{', 'job_id: ${{')
      .replace('outputs.finetuned-output', 'outputs.finetuned_model')
      .replace('needs.train.outputs.model', 'needs.train.outputs.modle')
    expect(actionUseProblems([broken])).toEqual([
      "step gate passes unknown 'job_id'",
      "step gate leaves out 'job-id'",
      'steps.gate.outputs.finetuned_model is not an output',
      'needs.train.outputs.modle is not set by job train'
    ])
  })
})

describe('action.yml', () => {
  test('is plain YAML with no duplicate keys', () => {
    const document = parseDocument(ACTION_YML, { uniqueKeys: true })
    expect([...document.errors, ...document.warnings]).toEqual([])
  })

  test('names, describes and runs the bundle on node24', () => {
    const action = parse(ACTION_YML) as Record<string, unknown> & {
      runs: { using: string; main: string }
    }
    expect(action).toMatchObject({
      name: expect.any(String),
      description: expect.any(String),
      runs: { using: 'node24', main: 'dist/index.js' }
    })
    expect(existsSync(new URL(action.runs.main, ROOT))).toBe(true)
  })

  test('gives every input and output a description', () => {
    const action = parse(ACTION_YML) as {
      inputs: Record<string, { description?: string }>
      outputs: Record<string, { description?: string }>
    }
    const undescribed = [
      ...Object.entries(action.inputs),
      ...Object.entries(action.outputs)
    ]
      .filter(([, entry]) => !entry.description?.trim())
      .map(([name]) => name)
    expect(undescribed).toEqual([])
  })

  test('passes GitHub’s action.yml schema', () => {
    const traced: string[] = []
    const result = parseAction(
      { name: 'action.yml', content: ACTION_YML },
      { error: m => traced.push(m), info: () => {}, verbose: () => {} }
    )
    const errors = result.context.errors.getErrors().map(e => e.message)
    expect([...errors, ...traced]).toEqual([])
  })

  test('fails GitHub’s action.yml schema with a misspelt key', () => {
    const broken = ACTION_YML.replace('runs:\n', 'run:\n')
    const result = parseAction(
      { name: 'action.yml', content: broken },
      { error: () => {}, info: () => {}, verbose: () => {} }
    )
    const errors = result.context.errors.getErrors().map(e => e.message)
    expect(errors).toEqual([
      expect.stringContaining("Unexpected value 'run'"),
      expect.stringContaining('Required property is missing: runs')
    ])
  })
})

describe('the Dependabot configuration', () => {
  test('covers npm and actions, and keeps TypeScript on 6.0', () => {
    const config = parse(readRepoFile('.github/dependabot.yml')) as {
      version: number
      updates: {
        'package-ecosystem': string
        ignore?: { 'dependency-name': string; 'update-types': string[] }[]
      }[]
    }
    expect(config.version).toBe(2)
    expect(config.updates.map(u => u['package-ecosystem']).sort()).toEqual([
      'github-actions',
      'npm'
    ])
    const npm = config.updates.find(u => u['package-ecosystem'] === 'npm')
    expect(npm?.ignore).toContainEqual({
      'dependency-name': 'typescript',
      'update-types': expect.arrayContaining([
        'version-update:semver-major',
        'version-update:semver-minor'
      ])
    })
  })
})

// The demo: the real bundled action follows a simulated fine-tuning job
// whose log ends like DashScope's documented sample, started exactly as a
// runner would start it; then the outputs and the job summary it wrote are
// shown. The demo exits with the action's own exit code.

import { parseArgs } from 'node:util'
import {
  builtinScenarioNames,
  loadScenario,
  type JobScenario,
  type Scenario
} from '../src/simulator/scenario.js'
import { startSimulator } from '../src/simulator/server.js'
import { runBundledAction } from './run-bundled-action.js'
import { RunnerView } from './workflow-commands.js'

const USAGE = `Usage: npm run demo [-- OPTIONS]

Runs dist/index.js against the built-in DashScope simulator.
  --scenario  a built-in scenario (${builtinScenarioNames().join(', ')})
              or the path of a scenario file; default docs-sample
  --input     an action input, such as --input require-marker=false;
              may be repeated`

function parseCommandLine(): {
  job: JobScenario
  scenario: Scenario
  inputs: Record<string, string>
} {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'docs-sample' },
      input: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const scenario = loadScenario(values.scenario)
  // A loaded scenario always holds at least one job; the demo follows the
  // first.
  const [job] = scenario.jobs as [JobScenario, ...JobScenario[]]
  const inputs: Record<string, string> = {}
  for (const pair of values.input) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new Error(`--input takes NAME=VALUE, not ${pair}.`)
    inputs[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return { job, scenario, inputs }
}

async function demo(): Promise<number> {
  const { job, scenario, inputs } = parseCommandLine()
  const simulator = await startSimulator(scenario)
  const baseUrl = `${simulator.url}/api/v1`
  console.log(`DashScope simulator: ${baseUrl}, job ${job.jobId}`)
  console.log('Running dist/index.js as a GitHub runner would:\n')

  const view = new RunnerView()
  try {
    const result = await runBundledAction(
      {
        'job-id': job.jobId,
        'api-key': job.apiKey ?? 'sk-demo-not-a-real-key',
        'base-url': baseUrl,
        'poll-interval': '1',
        ...inputs
      },
      {
        // Shown as the runner's log page would show it: commands consumed,
        // the group as a heading, the key masked.
        onStdoutLine: line => {
          const shown = view.render(line)
          if (shown !== undefined) console.log(shown)
        },
        killAfterMs: 120_000
      }
    )
    const exitCode = result.exitCode ?? 1

    console.log(`\nThe action exited with code ${exitCode}. Outputs it set:`)
    const names = Object.keys(result.outputs)
    const width = Math.max(...names.map(name => name.length))
    for (const [name, value] of Object.entries(result.outputs)) {
      console.log(`  ${name.padEnd(width)}  ${value}`)
    }
    console.log(
      `\nThe job summary it wrote (Markdown, ${result.summary.length} ` +
        `characters; ${simulator.requests.length} requests served):\n`
    )
    console.log(result.summary)
    return exitCode
  } finally {
    await simulator.close()
  }
}

try {
  process.exitCode = await demo()
} catch (error) {
  // A mistyped option or scenario deserves a sentence, not a stack.
  console.error(error instanceof Error ? error.message : String(error))
  console.error(`\n${USAGE}`)
  process.exitCode = 2
}

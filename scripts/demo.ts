// The demo: the real bundled action follows a simulated fine-tuning job
// whose log ends like DashScope's documented sample, exactly as a runner
// would start it, and then the outputs it set are shown.
//
//   npm run demo [-- --scenario NAME|PATH]

import { parseArgs } from 'node:util'
import { loadScenario } from '../src/simulator/scenario.js'
import { startSimulator } from '../src/simulator/server.js'
import { runBundledAction } from './run-bundled-action.js'
import { RunnerView } from './workflow-commands.js'

const { values } = parseArgs({
  options: { scenario: { type: 'string', default: 'docs-sample' } }
})
const scenario = loadScenario(values.scenario ?? 'docs-sample')
const job = 'jobs' in scenario ? scenario.jobs[0] : scenario
if (!job) throw new Error(`Scenario ${values.scenario} holds no job.`)

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
      'poll-interval': '1'
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
  const width = Math.max(...Object.keys(result.outputs).map(k => k.length))
  for (const [name, value] of Object.entries(result.outputs)) {
    console.log(`  ${name.padEnd(width)}  ${value}`)
  }
  console.log(
    `\nJob summary: ${result.summary.length} characters of Markdown ` +
      `(${simulator.requests.length} requests served).`
  )
} finally {
  await simulator.close()
}

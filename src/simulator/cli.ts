// Runs the DashScope simulator in the foreground, for the demo and for trying
// the action by hand:
//
//   npx tsx src/simulator/cli.ts [--scenario NAME|PATH] [--port N]
//
// Point the client at the printed base URL (DASHSCOPE_HTTP_BASE_URL) with any
// API key, unless the scenario sets one.

import { parseArgs } from 'node:util'
import { builtinScenarioNames, loadScenario } from './scenario.js'
import { startSimulator, type RecordedRequest } from './server.js'

const USAGE =
  'Usage: npx tsx src/simulator/cli.ts [--scenario NAME|PATH] [--port N]'

function describeRequest(request: RecordedRequest): string {
  const query = new URLSearchParams(request.query).toString()
  const target = query ? `${request.path}?${query}` : request.path
  const outcome =
    request.status === undefined ? 'dropped' : String(request.status)
  const fault = request.fault ? ` (fault: ${request.fault})` : ''
  const time = `${Math.round(request.at)} ms`.padStart(10)
  return `${time}  ${request.method} ${target} -> ${outcome}${fault}`
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'docs-sample' },
      port: { type: 'string', default: '0' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(USAGE)
    console.log(`Built-in scenarios: ${builtinScenarioNames().join(', ')}`)
    return
  }

  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(
      `--port must be a port number from 0 to 65535, got "${values.port}"`
    )
  }

  const scenario = loadScenario(values.scenario)
  const simulator = await startSimulator(scenario, {
    port,
    onRequest: request => console.log(describeRequest(request))
  })

  const jobIds = scenario.jobs.map(job => job.jobId)
  const jobs = `${jobIds.length === 1 ? 'job' : 'jobs'} ${jobIds.join(', ')}`
  console.log(
    `DashScope simulator listening on ${simulator.url}/api/v1, ${jobs}`
  )
  if (scenario.description) console.log(scenario.description)
  for (const job of scenario.jobs) {
    if (job.description) console.log(`${job.jobId}: ${job.description}`)
  }

  const stop = (signal: string) => {
    console.log(`Received ${signal}, stopping the simulator.`)
    void simulator.close()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error))
  console.error(USAGE)
  process.exitCode = 1
})

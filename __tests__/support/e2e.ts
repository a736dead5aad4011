// Runs the bundled action against a fresh simulator and hands back both
// sides: what the action printed and set, and what the simulator saw.

import { obeyedCommands } from '../../scripts/workflow-commands.js'
import {
  startSimulator,
  type RecordedRequest,
  type Simulator
} from '../../src/simulator/server.js'
import type { Fault, JobScenario } from '../../src/simulator/scenario.js'
import {
  startBundledAction,
  type ActionProcess,
  type ActionResult,
  type StartOptions
} from '../../scripts/run-bundled-action.js'

export const TEST_KEY = 'sk-test-0123456789abcdef'

/**
 * The documented sample's job, whose first logs request is answered by
 * `fault` instead: the usual shape of a test of one fault.
 */
export function sampleJobFailingOnce(fault: Fault): JobScenario {
  return {
    jobId: 'ft-202410291653-1c7f',
    logFile: 'docs-sample-tail.txt',
    faults: [{ endpoint: 'logs', nth: 1, fault }]
  }
}

export interface E2eRun extends ActionResult {
  requests: RecordedRequest[]
}

/** Inputs every end-to-end run starts from; tests override what they test. */
export function baseInputs(
  simulator: Simulator,
  jobId: string
): Record<string, string> {
  return {
    'job-id': jobId,
    'api-key': TEST_KEY,
    'base-url': `${simulator.url}/api/v1`,
    'poll-interval': '0.05',
    'request-timeout': '2',
    timeout: '0.5'
  }
}

export async function runAction(
  scenario: JobScenario,
  inputs: Record<string, string> = {},
  options: StartOptions = {}
): Promise<E2eRun> {
  const simulator = await startSimulator(scenario)
  try {
    const result = await startBundledAction(
      { ...baseInputs(simulator, scenario.jobId), ...inputs },
      options
    ).result
    return { ...result, requests: [...simulator.requests] }
  } finally {
    await simulator.close()
  }
}

/** Starts the action without waiting for it, for tests that interfere. */
export async function startAction(
  scenario: JobScenario,
  inputs: Record<string, string> = {},
  options: StartOptions = {}
): Promise<{ simulator: Simulator; action: ActionProcess }> {
  const simulator = await startSimulator(scenario)
  const action = startBundledAction(
    { ...baseInputs(simulator, scenario.jobId), ...inputs },
    options
  )
  return { simulator, action }
}

/**
 * The remote lines the action echoed: every line printed between a
 * `::stop-commands::TOKEN` and its `::TOKEN::`.
 */
export function echoedLines(stdout: string): string[] {
  const echoed: string[] = []
  let token: string | undefined
  for (const line of stdout.split('\n')) {
    if (token === undefined) {
      const start = /^::stop-commands::(.+)$/.exec(line)
      if (start) token = start[1]
    } else if (line === `::${token}::`) {
      token = undefined
    } else {
      echoed.push(line)
    }
  }
  return echoed
}

/** The message of the `::error::` the step failed with, or empty. */
export function failureMessage(stdout: string): string {
  return obeyedCommands(stdout).find(c => c.name === 'error')?.data ?? ''
}

/** Lines of the fixture logs the simulator ships, for exact comparisons. */
export { readFixtureLines } from './fixtures.js'

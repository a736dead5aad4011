// The reference for the catch-up figure: the least a client can do to read a
// whole log. It pages from offset 0 with the action's page size over one
// kept-alive connection, parses each answer only to learn how many lines came
// and how many exist, and keeps nothing. It is plain JavaScript so that it
// starts as fast as the bundled action does: a TypeScript loader would add
// its own start-up to the reference and flatter the action.
//
//   node scripts/bench/bare-client.mjs BASE_URL JOB_ID API_KEY PAGE_SIZE
//
// Prints the number of lines read, which the benchmark checks.

import http from 'node:http'

const [baseUrl, jobId, apiKey, pageSize] = process.argv.slice(2)
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

function get(path) {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${baseUrl}${path}`,
      { agent, headers: { authorization: `Bearer ${apiKey}` } },
      response => {
        const chunks = []
        response.on('data', chunk => chunks.push(chunk))
        response.on('end', () => {
          if (response.statusCode !== 200) {
            reject(new Error(`HTTP ${response.statusCode} for ${path}`))
          } else {
            resolve(Buffer.concat(chunks).toString('utf8'))
          }
        })
        response.on('error', reject)
      }
    )
    request.on('error', reject)
  })
}

const logsPath = `/fine-tunes/${encodeURIComponent(jobId)}/logs`
let offset = 0
for (;;) {
  const { output } = JSON.parse(
    await get(`${logsPath}?offset=${offset}&line=${pageSize}`)
  )
  offset += output.logs.length
  if (output.logs.length === 0 || offset >= output.total) break
}
agent.destroy()
process.stdout.write(`${offset}\n`)

// Loaded with `node --import` into a measured process. When the process
// exits, it writes its peak resident set size in bytes to the file named by
// BENCH_PEAK_RSS_FILE. The kernel's own high-water mark is read at the last
// moment, so no peak between two samples can be missed, and nothing is
// printed: the measured process's standard output stays exactly its own.

import { writeFileSync } from 'node:fs'

const file = process.env.BENCH_PEAK_RSS_FILE
if (file) {
  process.on('exit', () => {
    // resourceUsage() gives kilobytes.
    writeFileSync(file, String(process.resourceUsage().maxRSS * 1024))
  })
}

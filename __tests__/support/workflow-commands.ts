// Reads a step's standard output the way the Actions runner does, to find
// which lines it would obey as workflow commands. Two syntaxes exist: the
// current `::name key=value::data` at the start of a line (after leading
// white space), and the legacy `##[name key=value]data` anywhere in a line.
// After `::stop-commands::TOKEN` nothing is obeyed until a line `::TOKEN::`.

export interface WorkflowCommand {
  name: string
  data: string
  /** 1-based line number in the output. */
  line: number
}

const CURRENT = /^::([A-Za-z-]+)(?: [^:]*)?::(.*)$/
const LEGACY = /##\[([A-Za-z-]+)(?: [^\]]*)?\](.*)$/

export function obeyedCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = []
  let stopToken: string | undefined
  stdout.split(/\r?\n/).forEach((text, index) => {
    const trimmed = text.trimStart()
    if (stopToken !== undefined) {
      if (trimmed === `::${stopToken}::`) stopToken = undefined
      return
    }
    const match = CURRENT.exec(trimmed) ?? LEGACY.exec(text)
    if (!match) return
    const [, name = '', data = ''] = match
    if (name === 'stop-commands') stopToken = data
    commands.push({ name, data, line: index + 1 })
  })
  return commands
}

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

/**
 * Follows one output line at a time; `read` returns the command the runner
 * would obey for the line, or undefined when the line is shown as text.
 */
class CommandReader {
  private stopToken: string | undefined

  read(text: string): Omit<WorkflowCommand, 'line'> | undefined {
    const trimmed = text.trimStart()
    if (this.stopToken !== undefined) {
      if (trimmed !== `::${this.stopToken}::`) return undefined
      this.stopToken = undefined
      return { name: 'resume-commands', data: '' }
    }
    const match = CURRENT.exec(trimmed) ?? LEGACY.exec(text)
    if (!match) return undefined
    const [, name = '', data = ''] = match
    if (name === 'stop-commands') this.stopToken = data
    return { name, data }
  }
}

export function obeyedCommands(stdout: string): WorkflowCommand[] {
  const reader = new CommandReader()
  const commands: WorkflowCommand[] = []
  stdout.split(/\r?\n/).forEach((text, index) => {
    const command = reader.read(text)
    if (command && command.name !== 'resume-commands') {
      commands.push({ ...command, line: index + 1 })
    }
  })
  return commands
}

/** Undoes the runner's escaping of command data (`%0A` and the like). */
function unescapeData(data: string): string {
  return data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

/**
 * Renders output lines roughly as the runner's log page shows them: groups
 * as headings, annotations as labelled lines, command lines themselves
 * hidden, masked values replaced.
 */
export class RunnerView {
  private readonly reader = new CommandReader()
  private readonly masks: string[] = []

  render(text: string): string | undefined {
    const command = this.reader.read(text)
    const mask = (shown: string): string =>
      this.masks.reduce((out, secret) => out.split(secret).join('***'), shown)
    if (!command) return mask(text)
    const data = unescapeData(command.data)
    switch (command.name) {
      case 'add-mask':
        this.masks.push(data)
        return undefined
      case 'group':
        return `▼ ${mask(data)}`
      case 'error':
      case 'warning':
      case 'notice':
        return mask(
          data
            .split('\n')
            .map((line, index) =>
              index === 0 ? `${command.name.toUpperCase()}: ${line}` : line
            )
            .join('\n')
        )
      default:
        // debug is hidden unless debugging is on; the rest are bookkeeping.
        return undefined
    }
  }
}

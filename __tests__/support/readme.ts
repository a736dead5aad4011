// Reads the parts of README.md that tests hold to account: its tables and its
// YAML examples. Markdown is parsed with `marked`, the same parser that could
// render the page, so a table or a code block counts only if a reader would
// see one.

import { readFileSync } from 'node:fs'
import { lexer, walkTokens, type Token, type Tokens } from 'marked'

export const README_PATH = new URL('../../README.md', import.meta.url)

export function readReadme(): string {
  return readFileSync(README_PATH, 'utf8')
}

export interface MarkdownTable {
  /** Header cells as written, such as `Input`. */
  header: string[]
  /** Body rows, each cell as written (Markdown source, trimmed). */
  rows: string[][]
}

export interface CodeBlock {
  lang: string
  text: string
  /** 1-based line of the opening fence, for messages. */
  line: number
}

function allTokens(markdown: string): Token[] {
  const tokens: Token[] = []
  walkTokens(lexer(markdown), token => {
    tokens.push(token)
  })
  return tokens
}

export function readTables(markdown: string): MarkdownTable[] {
  return allTokens(markdown)
    .filter((token): token is Tokens.Table => token.type === 'table')
    .map(table => ({
      header: table.header.map(cell => cell.text.trim()),
      rows: table.rows.map(row => row.map(cell => cell.text.trim()))
    }))
}

/** The one table whose first header cell is `firstHeader`. */
export function tableHeaded(
  markdown: string,
  firstHeader: string
): MarkdownTable {
  const found = readTables(markdown).filter(
    table => table.header[0] === firstHeader
  )
  if (found.length !== 1) {
    throw new Error(
      `Expected one table whose first column is "${firstHeader}", ` +
        `found ${found.length}.`
    )
  }
  return found[0] as MarkdownTable
}

export function readCodeBlocks(markdown: string, lang: string): CodeBlock[] {
  const blocks: CodeBlock[] = []
  let searchFrom = 0
  for (const token of allTokens(markdown)) {
    if (token.type !== 'code') continue
    const code = token as Tokens.Code
    // Tokens carry their source text, not its place; finding each in turn
    // from the last one gives the line even when two blocks are alike.
    const at = markdown.indexOf(code.raw, searchFrom)
    searchFrom = at + code.raw.length
    if ((code.lang ?? '').trim() !== lang) continue
    blocks.push({
      lang,
      text: code.text + '\n',
      line: markdown.slice(0, at).split('\n').length
    })
  }
  return blocks
}

/** `` `job-id` `` → `job-id`; a cell that is not one code span is kept. */
export function unquoteCell(cell: string): string {
  const match = /^`([^`]*)`$/.exec(cell)
  return match ? (match[1] as string) : cell
}

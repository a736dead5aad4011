// Reads typed fields out of parsed JSON. Scenario files are written by hand,
// so every error names the field's path (`jobs[0].timeline[2].status`), what
// was found there and what would be accepted.

export class ScenarioError extends Error {
  override name = 'ScenarioError'
}

export type JsonObject = Record<string, unknown>

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'object') return 'an object'
  return String(value)
}

function reject(where: string, expected: string, value: unknown): never {
  throw new ScenarioError(
    `${where} must be ${expected}, got ${describeValue(value)}`
  )
}

export function readObject(
  value: unknown,
  where: string,
  allowedKeys?: readonly string[]
): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    reject(where, 'an object', value)
  }
  const object = value as JsonObject

  // A misspelt key would otherwise be ignored and the scenario would quietly
  // do something else than its author meant.
  for (const key of Object.keys(object)) {
    if (allowedKeys && !allowedKeys.includes(key)) {
      throw new ScenarioError(
        `${where} has an unknown field "${key}"; known fields: ` +
          allowedKeys.join(', ')
      )
    }
  }
  return object
}

export function readArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) reject(where, 'an array', value)
  return value
}

export function readString(
  value: unknown,
  where: string,
  { nonEmpty = false } = {}
): string {
  if (typeof value !== 'string') reject(where, 'a string', value)
  if (nonEmpty && value === '') reject(where, 'a non-empty string', value)
  return value
}

export function readStringArray(value: unknown, where: string): string[] {
  return readArray(value, where).map((item, index) =>
    readString(item, `${where}[${index}]`)
  )
}

export function readInteger(
  value: unknown,
  where: string,
  { min = -Infinity, max = Infinity } = {}
): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    reject(where, 'an integer', value)
  }
  if (value < min || value > max) {
    const range =
      max === Infinity
        ? `an integer of at least ${min}`
        : `an integer from ${min} to ${max}`
    reject(where, range, value)
  }
  return value
}

export function readBoolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') reject(where, 'true or false', value)
  return value
}

export function readOneOf<T extends string | number>(
  value: unknown,
  where: string,
  choices: readonly T[]
): T {
  if (!choices.includes(value as T)) {
    reject(
      where,
      `one of ${choices.map(c => JSON.stringify(c)).join(', ')}`,
      value
    )
  }
  return value as T
}

export function readHeaders(
  value: unknown,
  where: string
): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    reject(where, 'an object of header names to strings', value)
  }
  const headers: Record<string, string> = {}
  for (const [name, headerValue] of Object.entries(value)) {
    headers[name] = readString(headerValue, `${where}.${name}`)
  }
  return headers
}

/** Reads `object[key]` with `read` when present, else gives undefined. */
export function optionalField<T>(
  object: JsonObject,
  key: string,
  where: string,
  read: (value: unknown, where: string) => T
): T | undefined {
  const value = object[key]
  return value === undefined ? undefined : read(value, `${where}.${key}`)
}

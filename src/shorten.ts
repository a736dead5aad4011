// Cutting text to a length for display. A cut between the two halves of a
// surrogate pair would leave half a character, which prints as garbage (and
// is not valid UTF-8 when written out), so every cut in the action goes
// through here.

/** Where to cut `text` to keep at most `max` UTF-16 units, whole. */
export function cutPoint(text: string, max: number): number {
  if (text.length <= max) return text.length
  const code = text.charCodeAt(max - 1)
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max
}

/** `text` itself, or its start with `…`, at most `max` units in all. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text
  return text.slice(0, cutPoint(text, max - 1)) + '…'
}

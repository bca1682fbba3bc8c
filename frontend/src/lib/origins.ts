/** Textarea text to the list the API takes: one origin per line, blanks dropped. */
export function linesToOrigins(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
}

/** The list back to textarea text. */
export function originsToLines(origins: string[]): string {
  return origins.join('\n')
}

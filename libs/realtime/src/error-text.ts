/** An error's message for a log field (never its stack: logs stay one line per event). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

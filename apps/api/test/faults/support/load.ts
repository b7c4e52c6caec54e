export interface Outcome {
  status: number | 'error';
  ms: number;
}

export interface LoadResult {
  outcomes: Outcome[];
  statuses: Record<string, number>;
  maxMs: number;
}

/**
 * Closed-loop load: `concurrency` loops calling `step(i)` until `durationMs` passes (or `stop` aborts).
 * Bounded in time and count.
 */
export async function runLoad(
  durationMs: number,
  concurrency: number,
  step: (i: number) => Promise<number>,
  maxRequests = 20_000,
  stop?: AbortSignal,
): Promise<LoadResult> {
  const outcomes: Outcome[] = [];
  const deadline = Date.now() + durationMs;
  let counter = 0;
  const loop = async (): Promise<void> => {
    while (Date.now() < deadline && counter < maxRequests && !stop?.aborted) {
      const i = counter++;
      const started = Date.now();
      let status: number | 'error';
      try {
        status = await step(i);
      } catch {
        status = 'error';
      }
      outcomes.push({ status, ms: Date.now() - started });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return summarize(outcomes);
}

export function summarize(outcomes: Outcome[]): LoadResult {
  const statuses: Record<string, number> = {};
  for (const o of outcomes) statuses[String(o.status)] = (statuses[String(o.status)] ?? 0) + 1;
  return { outcomes, statuses, maxMs: outcomes.reduce((m, o) => Math.max(m, o.ms), 0) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

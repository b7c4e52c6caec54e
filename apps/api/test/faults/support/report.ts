import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const RELIABILITY_DIR = resolve(import.meta.dirname, '../../../../../test-results/reliability');

export interface ScenarioRow {
  scenario: string;
  load: string;
  faults: string;
  /** status code (or "error" for a failed connection) → count */
  statuses: Record<string, number>;
  writesAcknowledged?: number;
  writesFound?: number;
  verdict: 'pass' | 'fail';
  notes?: string;
}

/** Each scenario records its own outcome; the suite's teardown turns them into docs/RELIABILITY.md. */
export function recordScenario(row: ScenarioRow): void {
  mkdirSync(RELIABILITY_DIR, { recursive: true });
  const file = row.scenario.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  writeFileSync(
    join(RELIABILITY_DIR, `${file}.json`),
    JSON.stringify({ ...row, recorded_at: new Date().toISOString() }, null, 2),
  );
}

// docs/API.md (for people) and openapi.json / the code (for machines) state the same facts; these keep them in step.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CLIENT_EVENTS, REFUSAL_REASONS, SERVER_EVENTS, SYSTEM_SENDER } from '@gad/realtime';

const ROOT = resolve(import.meta.dirname, '../../..');
const apiMd = readFileSync(resolve(ROOT, 'docs/API.md'), 'utf8');
const openapi = JSON.parse(readFileSync(resolve(ROOT, 'openapi.json'), 'utf8')) as {
  servers: { url: string }[];
  paths: Record<string, Record<string, unknown>>;
};

/** The rows of the markdown tables whose first cells are given by `row`. */
function rows(pattern: RegExp): string[][] {
  return apiMd
    .split('\n')
    .map((line) => pattern.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => m.slice(1));
}

describe('docs/API.md and openapi.json', () => {
  it('list the same REST operations', () => {
    const documented = rows(/^\| (GET|POST|PUT|PATCH|DELETE) \| (\/[^ |?]*)/).map(([method, path]) => `${method} ${path}`);
    const specified = Object.entries(openapi.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.length).toBeGreaterThan(10);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual([...specified].sort());
  });

  it('agree on the prefix', () => {
    expect(openapi.servers[0].url).toBe('/api/v1');
    expect(apiMd).toContain('(default `/api/v1`)');
  });
});

describe('docs/API.md and the Socket.IO code', () => {
  const events = rows(/^\| `([a-z:]+)`(?: \/ `([a-z:]+)`)? \| (server → client|server → admins|client → server)/);
  const documented = new Set(events.flatMap(([a, b]) => [a, b]).filter(Boolean));

  it('document every event the server sends and accepts, and no other', () => {
    const known = new Set<string>([...Object.values(SERVER_EVENTS), ...Object.values(CLIENT_EVENTS)]);
    expect([...documented].sort()).toEqual([...known].sort());
    for (const [a, , direction] of events) {
      const client = (Object.values(CLIENT_EVENTS) as string[]).includes(a);
      expect({ event: a, direction: direction.startsWith('client') }).toEqual({ event: a, direction: client });
    }
  });

  it('list every handshake refusal reason', () => {
    const reasons = rows(/^\| `([a-z_]+)` \| (?!server|client)/).map(([reason]) => reason);
    expect(reasons.sort()).toEqual([...REFUSAL_REASONS].sort());
  });

  it('name the system sender as the code does', () => {
    expect(apiMd).toContain(`{"id": "${SYSTEM_SENDER.id}", "full_name": "${SYSTEM_SENDER.full_name}"}`);
  });
});

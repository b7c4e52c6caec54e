import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openApiDocument } from '../src/openapi-document.js';
import { PRODUCTION_COMPOSE, composeRequiredVariables, configTable, envExample } from '@gad/config';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('reviewed artifacts', () => {
  it('openapi.json matches the code (run `npm run openapi` after changing the API)', async () => {
    const committed = JSON.parse(readFileSync(resolve(ROOT, 'openapi.json'), 'utf8'));
    expect(await openApiDocument()).toEqual(committed);
  });

  it("README's configuration table matches libs/config (run `npm run docs:config`)", () => {
    expect(readFileSync(resolve(ROOT, 'README.md'), 'utf8')).toContain(configTable());
  });

  it('.env.example lists every variable (run `npm run docs:config`)', () => {
    const required = composeRequiredVariables(readFileSync(resolve(ROOT, PRODUCTION_COMPOSE), 'utf8'));
    expect(readFileSync(resolve(ROOT, '.env.example'), 'utf8')).toBe(envExample(required));
  });
});

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SUPPORTED_NODE, nodeVersionWarning } from './node-version.js';

describe('nodeVersionWarning', () => {
  it("matches package.json's engines", () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../package.json'), 'utf8'));
    expect(pkg.engines.node).toBe(SUPPORTED_NODE.range);
  });

  it('says nothing on a supported version', () => {
    for (const version of ['22.12.0', '22.23.3', '24.0.0', '24.21.0', '26.1.0'])
      expect(nodeVersionWarning(version)).toBeUndefined();
  });

  it('names the supported versions in one line on an older one', () => {
    for (const version of ['20.19.0', '20.20.2', '22.11.0', '18.20.4']) {
      const line = nodeVersionWarning(version);
      expect(line).toContain(`Node.js ${version} is not supported`);
      expect(line).toContain('>=22.12');
      expect(line).not.toContain('\n');
    }
  });
});

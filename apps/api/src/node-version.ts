/** The Node.js versions this project supports: package.json `engines` says the same (a test compares them). */
export const SUPPORTED_NODE = { major: 22, minor: 12, range: '>=22.12' } as const;

/**
 * One line for an older Node.js: the server still starts (npm does not enforce `engines` at run
 * time, and neither do we), but the reader knows why something may break.
 */
export function nodeVersionWarning(version: string = process.versions.node): string | undefined {
  const [major, minor] = version.split('.').map(Number);
  if (major > SUPPORTED_NODE.major || (major === SUPPORTED_NODE.major && minor >= SUPPORTED_NODE.minor)) return undefined;
  return `warning: Node.js ${version} is not supported; use Node.js ${SUPPORTED_NODE.range} (24 LTS recommended). Starting anyway.`;
}

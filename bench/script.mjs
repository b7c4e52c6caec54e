// Shared by the bench's server scripts (baseline.mjs, frameworks.mjs): kept apart from lib.mjs so that a
// server process loads nothing of the load generator.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs `main` when the module at `moduleUrl` is the script node was started with; a failure exits 1. */
export function runAsScript(moduleUrl, main) {
  if (!process.argv[1] || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

/** On SIGTERM or SIGINT: exit 0 once `close()` settles, or after 2 s whatever happens. */
export function exitOnSignals(close) {
  const stop = () => {
    setTimeout(() => process.exit(0), 2000).unref();
    Promise.resolve()
      .then(close)
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

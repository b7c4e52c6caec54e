import cluster, { type Worker } from 'node:cluster';
import { setupPrimary as setupSocketIoPrimary } from '@socket.io/cluster-adapter';
import { AggregatorRegistry } from 'prom-client';
import type { Configuration } from '@gad/config';
import { WORKER_MESSAGES, type WorkerMessage } from '@gad/cluster';

/** A worker that crashed after it was ready is replaced after 1, 2, 4 … seconds (crashes in the window), at most 30. */
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_MAX_MS = 30_000;

/**
 * The primary of a multi-worker process (WORKERS > 1), like gunicorn's arbiter: forks the workers,
 * aggregates their Prometheus metrics, replaces one that asks to be recycled (MAX_REQUESTS), and on
 * SIGTERM passes the signal on and waits for every worker to drain. It fails loudly rather than loop:
 * a worker that fails before it is ready (no schema, a bad DATABASE_URL) stops everything with its
 * cause, printed once, and exit code 1; a worker that crashes after it was ready is replaced with
 * exponential backoff, and more than WORKER_CRASH_LIMIT crashes in WORKER_CRASH_WINDOW_SECONDS stop
 * everything the same way, with the last cause.
 */
export function runPrimary(config: Configuration): void {
  const aggregator = new AggregatorRegistry();
  setupSocketIoPrimary();
  const { workerCrashLimit: limit, workerCrashWindowMs: windowMs } = config.cluster;
  const ready = new WeakSet<Worker>();
  const bootFailures = new WeakMap<Worker, string>();
  const crashes: number[] = [];
  let stopping = false;

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.once('listening', () => ready.add(worker));
    return worker;
  };
  for (let i = 0; i < config.cluster.workers; i++) fork();
  console.log(`primary ${process.pid}: ${config.cluster.workers} workers serving ${config.app.host}:${config.app.port}`);

  cluster.on('message', (worker: Worker, message: WorkerMessage) => {
    if (message?.type === WORKER_MESSAGES.metricsRequest) {
      aggregator
        .clusterMetrics()
        .then((text) => worker.send({ type: WORKER_MESSAGES.metricsResponse, id: message.id, text }))
        .catch((error: Error) => worker.send({ type: WORKER_MESSAGES.metricsResponse, id: message.id, error: error.message }));
    } else if (message?.type === WORKER_MESSAGES.recycle && !stopping) {
      console.log(`primary: recycling worker ${worker.process.pid} after ${message.requests} requests`);
      fork().once('listening', () => worker.process.kill('SIGTERM'));
    } else if (message?.type === WORKER_MESSAGES.bootFailed) {
      bootFailures.set(worker, message.cause);
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    if (stopping || worker.exitedAfterDisconnect || (code === 0 && !signal)) return;
    const how = signal ?? `exit code ${code}`;
    if (!ready.has(worker)) {
      const cause = bootFailures.get(worker) ?? `it exited (${how}) before it was ready`;
      console.error(`primary: worker ${worker.process.pid} failed to boot: ${cause}`);
      return stop(1, 'a worker failed to boot');
    }
    const now = Date.now();
    crashes.push(now);
    while (crashes.length && crashes[0] <= now - windowMs) crashes.shift();
    const last = `worker ${worker.process.pid} died (${how})`;
    if (crashes.length > limit) {
      console.error(
        `primary: ${crashes.length} worker crashes within ${windowMs / 1000} s (WORKER_CRASH_LIMIT=${limit}); last: ${last}`,
      );
      return stop(1, 'too many worker crashes');
    }
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (crashes.length - 1));
    console.error(`primary: ${last}; starting a replacement in ${delay / 1000} s`);
    setTimeout(() => stopping || fork(), delay);
  });

  /** SIGTERM to every worker (each drains), then exit with `code` once none is left, or 1 after the grace period. */
  const stop = (code: number, reason: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`primary: ${reason}, stopping ${Object.keys(cluster.workers ?? {}).length} workers`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      console.error('primary: workers did not stop within the grace period');
      process.exit(1);
    }, config.cluster.shutdownTimeoutMs + 5000);
    deadline.unref();
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check);
        process.exit(code);
      }
    }, 50);
  };
  process.once('SIGTERM', () => stop(0, 'SIGTERM received'));
  process.once('SIGINT', () => stop(0, 'SIGINT received'));
}

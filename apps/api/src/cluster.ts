import cluster, { type Worker } from 'node:cluster';
import { setupPrimary as setupSocketIoPrimary } from '@socket.io/cluster-adapter';
import { AggregatorRegistry } from 'prom-client';
import type { Configuration } from '@gad/config';
import { WORKER_MESSAGES, type WorkerMessage } from '@gad/observability';

const CRASH_WINDOW_MS = 10_000;
const CRASH_LIMIT = 5;

/**
 * The primary of a multi-worker process (WORKERS > 1), like gunicorn's arbiter: forks the workers,
 * replaces one that dies or asks to be recycled (MAX_REQUESTS), aggregates their Prometheus metrics,
 * and on SIGTERM passes the signal on and waits for every worker to drain.
 */
export function runPrimary(config: Configuration): void {
  const aggregator = new AggregatorRegistry();
  setupSocketIoPrimary();
  let stopping = false;
  const crashes: number[] = [];

  const fork = (): Worker => cluster.fork();
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
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (worker.exitedAfterDisconnect || (code === 0 && !signal)) return;
    const now = Date.now();
    crashes.push(now);
    while (crashes.length && crashes[0] < now - CRASH_WINDOW_MS) crashes.shift();
    console.error(`primary: worker ${worker.process.pid} died (${signal ?? code}); starting a replacement`);
    setTimeout(fork, crashes.length > CRASH_LIMIT ? 1000 : 0);
  });

  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`primary: ${signal} received, draining ${Object.keys(cluster.workers ?? {}).length} workers`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      console.error('primary: workers did not stop within the grace period');
      process.exit(1);
    }, config.cluster.shutdownTimeoutMs + 5000);
    deadline.unref();
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check);
        process.exit(0);
      }
    }, 50);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

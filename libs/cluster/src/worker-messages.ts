import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';

/** IPC between workers and the primary (metrics aggregation, MAX_REQUESTS recycling, boot failures). */
export const WORKER_MESSAGES = {
  metricsRequest: 'gad:metrics-request',
  metricsResponse: 'gad:metrics-response',
  recycle: 'gad:recycle',
  bootFailed: 'gad:boot-failed',
} as const;

export type WorkerMessage =
  | { type: typeof WORKER_MESSAGES.metricsRequest; id: string }
  | { type: typeof WORKER_MESSAGES.metricsResponse; id: string; text?: string; error?: string }
  | { type: typeof WORKER_MESSAGES.recycle; requests: number }
  | { type: typeof WORKER_MESSAGES.bootFailed; cause: string };

/** In a worker: the metrics of every worker, aggregated by the primary. */
export function clusterMetricsFromPrimary(timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = randomUUID();
    const onMessage = (message: WorkerMessage): void => {
      if (message?.type !== WORKER_MESSAGES.metricsResponse || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.text ?? '');
    };
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the primary did not answer the metrics request'));
    }, timeoutMs);
    process.on('message', onMessage);
    process.send!({ type: WORKER_MESSAGES.metricsRequest, id });
  });
}

export const isClusterWorker = (): boolean => cluster.isWorker;

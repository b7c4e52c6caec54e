import { once } from 'node:events';
import type { Response } from 'express';

export interface SseEvent {
  event: string;
  data: unknown;
}

/** A signal that aborts when the client closes the connection before the response is complete. */
export function clientDisconnectSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}

/**
 * Writes events as Server-Sent Events and ends the response. Stops (returning the iterator, which
 * aborts the upstream call) as soon as the client goes away.
 */
export async function sendSse(res: Response, events: AsyncIterable<SseEvent>): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  const gone = (): boolean => res.destroyed || res.writableEnded;
  for await (const { event, data } of events) {
    if (gone()) break;
    // JSON never contains a raw newline, so one data line per event is enough
    const ok = res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    // a compression middleware would otherwise hold the chunks back
    (res as Response & { flush?: () => void }).flush?.();
    if (!ok) await Promise.race([once(res, 'drain'), once(res, 'close')]).catch(() => undefined);
  }
  if (!gone()) res.end();
}

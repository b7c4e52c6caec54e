import { once } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';

export interface SseEvent {
  event: string;
  data: unknown;
}

/**
 * Writes events as Server-Sent Events straight to the socket (Fastify lets go of the reply) and ends
 * the response. Stops (returning the iterator, which aborts the upstream call) as soon as the client
 * goes away.
 */
export async function sendSse(reply: FastifyReply, events: AsyncIterable<SseEvent>): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...(reply.getHeaders() as OutgoingHttpHeaders), // request id, security headers: a hijacked reply does not send them
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  const gone = (): boolean => res.destroyed || res.writableEnded;
  for await (const { event, data } of events) {
    if (gone()) break;
    // JSON never contains a raw newline, so one data line per event is enough
    const ok = res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (!ok) await Promise.race([once(res, 'drain'), once(res, 'close')]).catch(() => undefined);
  }
  if (!gone()) res.end();
}

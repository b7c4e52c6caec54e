import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClosedSignal } from './access.decorators.js';

/** A real request whose server side is handed to `onRequest`; resolves when the server closed. */
async function withResponse(onRequest: (res: ServerResponse, leave: () => void) => void): Promise<void> {
  const server = createServer((req, res) => onRequest(res, () => req.socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1' });
  client.on('error', () => undefined);
  client.end();
  await new Promise<void>((resolve) => server.on('request', (_req, res) => res.on('close', resolve)));
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; !condition(); i++) {
    if (i > 200) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('answerClosedSignal', () => {
  it('holds while the response is open and aborts when it is sent', async () => {
    let signal: AbortSignal | undefined;
    await withResponse((res) => {
      signal = answerClosedSignal(res);
      expect(signal.aborted).toBe(false);
      res.end('ok');
    });
    await until(() => signal!.aborted);
  });

  it('aborts when the client leaves, and is aborted from the start when it had already left', async () => {
    const signals: AbortSignal[] = [];
    await withResponse((res, leave) => {
      signals.push(answerClosedSignal(res));
      leave();
      res.on('close', () => signals.push(answerClosedSignal(res))); // e.g. built after slow guards
    });
    await until(() => signals.length === 2);
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
  });
});

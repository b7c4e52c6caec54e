import WebSocket from 'ws';
import { sleep } from './load.js';

/** Start a ServerProcess with these, and wait for SERVER_READY (the inspector prints "listening on" too). */
export const INSPECT_ENV = { NODE_OPTIONS: '--expose-gc --inspect=127.0.0.1:0' };
export const SERVER_READY = /\) listening on/;

const REDUCING_GC = "gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })";

export interface HeapFigures {
  rssMb: number;
  heapUsedMb: number;
}

/**
 * The server's own V8 inspector (loopback, test only): forces a full GC before a memory reading, so
 * growth that garbage collection would give back is told apart from memory still held.
 */
export class Inspector {
  private id = 0;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.pending.get(message.id)?.(message.result);
      if (message.id !== undefined) this.pending.delete(message.id);
    });
  }

  /** Connects to the debugger URL the process printed ("Debugger listening on ws://..."). */
  static async connect(output: string): Promise<Inspector> {
    const url = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
    if (!url) throw new Error('the server printed no inspector URL (start it with INSPECT_ENV)');
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return new Inspector(ws);
  }

  /**
   * A memory-reducing full GC (twice, for objects freed by finalizers), then the process's RSS and V8 heap
   * in use. Since Node 22 a plain gc() keeps the heap pages it frees in V8's pool, still resident (a burst
   * of big bodies left ~300 MB there); the "last resort" flavour gives them back, as V8 does under pressure
   * (Node 20 does not know it, and does no harm with it).
   */
  async collectedMemory(): Promise<HeapFigures> {
    await this.evaluate(`gc(); gc(); ${REDUCING_GC};`);
    await sleep(200);
    const usage = JSON.parse(await this.evaluate('JSON.stringify(process.memoryUsage())')) as { rss: number; heapUsed: number };
    const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
    return { rssMb: mb(usage.rss), heapUsedMb: mb(usage.heapUsed) };
  }

  close(): void {
    this.ws.close();
  }

  async evaluate(expression: string): Promise<string> {
    const id = ++this.id;
    const result = new Promise<unknown>((resolve) => this.pending.set(id, resolve));
    this.ws.send(JSON.stringify({ id, method: 'Runtime.evaluate', params: { expression, returnByValue: true } }));
    return String(((await result) as { result?: { value?: unknown } }).result?.value);
  }
}

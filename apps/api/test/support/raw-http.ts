import { request, type IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RawRequest {
  method?: string;
  /** Sent as is: no URL normalization, so `/static/../x` reaches the server verbatim. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** One HTTP/1.1 request over node:http, without fetch's URL normalization or automatic decompression. */
export function rawRequest(origin: string, options: RawRequest): Promise<RawResponse> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface SentBody {
  /** 'error' when the connection failed before any answer. */
  status: number | 'error';
  /** bytes written before the answer came (or the connection was cut) */
  sent: number;
  ms: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Streams a body of `size` bytes (chunked, or with a declared Content-Length) until the server
 * answers; resolves with the status, how many bytes went out first, and how long it took.
 */
export function sendBody(
  origin: string,
  path: string,
  options: { headers?: Record<string, string>; size: number; chunked: boolean },
): Promise<SentBody> {
  const url = new URL(origin);
  const started = Date.now();
  const framing = options.chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': String(options.size) };
  return new Promise((resolve) => {
    let sent = 0;
    let answered = false;
    const req = request(
      { host: url.hostname, port: url.port, method: 'POST', path, headers: { ...options.headers, ...framing }, agent: false },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => undefined);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            sent,
            ms: Date.now() - started,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', () =>
      answered ? undefined : resolve({ status: 'error', sent, ms: Date.now() - started, headers: {}, body: '' }),
    );
    const chunk = Buffer.alloc(64 * 1024, 'a');
    // one chunk per turn of the event loop, so the answer is noticed as soon as it arrives
    const pump = (): void => {
      if (answered || req.destroyed) return;
      if (sent >= options.size) return void req.end();
      sent += chunk.length;
      if (req.write(chunk)) setImmediate(pump);
      else req.once('drain', pump);
    };
    req.write('{"data":"');
    pump();
  });
}

/** A chunked body until the server answers (or `maxBytes` is sent); rejects if the connection fails first. */
export async function streamUntilAnswered(
  origin: string,
  path: string,
  headers: Record<string, string>,
  maxBytes: number,
): Promise<{ status: number; sent: number; headers: IncomingHttpHeaders; body: string }> {
  const result = await sendBody(origin, path, { headers, size: maxBytes, chunked: true });
  if (result.status === 'error') throw new Error(`connection failed after ${result.sent} bytes, before an answer`);
  return { status: result.status, sent: result.sent, headers: result.headers, body: result.body };
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * normal: answers (JSON, or SSE when `stream: true`); slow: the same after `delayMs`;
 * error500 / error429: an OpenAI-style error body; malformed: a 200 whose body is not valid JSON;
 * hang: never answers; close: destroys the connection on arrival.
 */
export type FakeMode = 'normal' | 'slow' | 'error500' | 'error429' | 'malformed' | 'hang' | 'close';

export interface ChatRequestBody {
  model: string;
  messages: { role: string; content: string }[];
  max_tokens?: number;
  temperature?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A real loopback HTTP server speaking the Chat Completions protocol, with fault modes and counters. */
export class FakeOpenAi {
  mode: FakeMode = 'normal';
  /** slow: wait before answering; streaming: also the pause between chunks. */
  delayMs = 300;
  /** Pause between stream chunks in every mode (slow streams make abort tests observable). */
  chunkDelayMs = 0;
  answer = 'Hola, soy el asistente de prueba de GRUPO_GAD.';

  /** Requests received on /v1/chat/completions. */
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Requests whose connection closed before the answer was complete (the client aborted). */
  aborted = 0;
  completed = 0;
  readonly bodies: ChatRequestBody[] = [];
  readonly authorizations: (string | undefined)[] = [];

  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Back to normal mode with zeroed counters. */
  reset(): void {
    this.mode = 'normal';
    this.delayMs = 300;
    this.chunkDelayMs = 0;
    this.requests = this.inFlight = this.maxInFlight = this.aborted = this.completed = 0;
    this.bodies.length = 0;
    this.authorizations.length = 0;
  }

  /** Polls until `predicate` holds, failing after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > until) throw new Error('FakeOpenAi.waitFor timed out');
      await sleep(10);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // A call ends at the first sign of it: the answer sent, or the client's FIN/RST. 'close' alone comes
    // an event-loop turn later, after a new call on another connection may already have been counted.
    const socket = req.socket;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      for (const event of ['end', 'error', 'close']) socket.off(event, end);
    };
    for (const event of ['end', 'error', 'close']) socket.once(event, end);
    res.once('finish', end);
    res.on('close', () => {
      end();
      if (res.writableFinished) this.completed++;
      else this.aborted++;
    });

    const raw = await readBody(req);
    const body = JSON.parse(raw) as ChatRequestBody;
    this.bodies.push(body);
    this.authorizations.push(req.headers.authorization);
    const mode = this.mode;

    switch (mode) {
      case 'close':
        req.socket.destroy();
        return;
      case 'hang':
        return; // the response is left open until the client gives up
      case 'error500':
        return json(res, 500, { error: { message: 'upstream exploded', type: 'server_error', code: null } });
      case 'error429':
        return json(res, 429, {
          error: { message: 'Rate limit reached', type: 'rate_limit_error', code: 'rate_limit_exceeded' },
        });
      case 'malformed':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        if (body.stream) res.end('data: {"id": "x", "choices": [\n\n');
        else res.end('{"id": "chatcmpl-broken", "choices": [');
        return;
      case 'slow':
        await sleep(this.delayMs);
        break;
      case 'normal':
        break;
    }
    if (res.destroyed) return;

    const promptTokens = body.messages.map((m) => m.content.split(/\s+/).length).reduce((a, b) => a + b, 0);
    const words = this.answer.split(/(?<= )/);
    const usage = { prompt_tokens: promptTokens, completion_tokens: words.length, total_tokens: promptTokens + words.length };
    const base = { id: 'chatcmpl-fake', created: Math.floor(Date.now() / 1000), model: body.model };

    if (!body.stream) {
      return json(res, 200, {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: this.answer }, finish_reason: 'stop', logprobs: null }],
        usage,
      });
    }

    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: object, finish: string | null = null) => ({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
    send(chunk({ role: 'assistant', content: '' }));
    for (const word of words) {
      const pause = mode === 'slow' ? this.delayMs : this.chunkDelayMs;
      if (pause > 0) await sleep(pause);
      if (res.destroyed) return;
      send(chunk({ content: word }));
    }
    send(chunk({}, 'stop'));
    if (body.stream_options?.include_usage) send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
    res.end('data: [DONE]\n\n');
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

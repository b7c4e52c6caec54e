import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { ClientOptions, OpenAI } from 'openai';
import { aiConfig } from '@gad/config';
import type { FallbackCause } from './fallbacks.js';

const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
// Local gateways (Ollama, vLLM, llama.cpp) ignore the key, but the SDK insists on one.
const KEYLESS_PLACEHOLDER = 'not-needed';

export interface ProviderRequest {
  message: string;
  maxTokens: number;
  temperature: number;
  /** Milliseconds the SDK may wait for response headers; the caller's signal bounds the whole call. */
  timeoutMs: number;
  signal: AbortSignal;
}

export interface TokenUsage {
  promptTokens: number | null;
  completionTokens: number | null;
}

export interface ProviderAnswer {
  text: string;
  usage: TokenUsage;
}

export type ProviderStreamPart = { delta: string } | { usage: TokenUsage };

/** The provider answered, but not with a usable chat completion. */
export class MalformedAnswerError extends Error {
  constructor(detail: string) {
    super(`malformed provider answer: ${detail}`);
    this.name = 'MalformedAnswerError';
  }
}

// The SDK is loaded only when the AI is configured: importing it costs ~13 MB of RSS and 0.1–0.2 s of
// compiling, which blocks the event loop. It is loaded at boot, before the server listens: loaded by the first
// chat instead, that stall fell on every request in flight (~110 ms on a slow core, found by the stall detector).
type Sdk = typeof import('openai');
let sdkModule: Sdk | undefined;
export const loadSdk = async (): Promise<Sdk> => (sdkModule ??= await import('openai'));

/** Maps what the SDK (or the wire under it) threw to a fallback cause. */
export function classifyProviderError(error: unknown): FallbackCause {
  // by name: the body parser may live in another realm (undici's), whose Error classes differ from ours
  if (error instanceof MalformedAnswerError || (error as { name?: unknown } | null)?.name === 'SyntaxError') return 'malformed';
  // the SDK's own errors exist only once it is loaded
  if (sdkModule && error instanceof sdkModule.APIConnectionTimeoutError) return 'timeout';
  if (sdkModule && error instanceof sdkModule.APIError && error.status === 429) return 'rate_limited';
  return 'upstream_error';
}

/**
 * The one place that talks to the OpenAI-compatible endpoint. Retries are off (the service owns
 * timeouts and fallbacks) and the SDK's own logging is silenced (it would print provider bodies).
 */
@Injectable()
export class AiProviderClient implements OnApplicationBootstrap {
  private readonly options?: ClientOptions;
  private client?: Promise<OpenAI>;
  readonly model: string;

  constructor(@Inject(aiConfig.KEY) config: ConfigType<typeof aiConfig>) {
    this.model = config.model;
    if (!config.configured) return;
    this.options = {
      apiKey: config.apiKey ?? KEYLESS_PLACEHOLDER,
      baseURL: config.baseUrl ?? OPENAI_DEFAULT_BASE_URL,
      // explicit nulls: the SDK would otherwise read these from process.env behind the config's back
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      timeout: Math.max(1, Math.ceil(config.requestTimeoutMs)),
      maxRetries: 0,
      logLevel: 'off',
    };
  }

  get configured(): boolean {
    return this.options !== undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.configured) await this.sdk();
  }

  async complete(request: ProviderRequest): Promise<ProviderAnswer> {
    const completion: unknown = await (await this.sdk()).chat.completions.create(this.chatParams(request), callOptions(request));
    const choice = firstChoice(completion);
    const content = (choice?.message as { content?: unknown } | undefined)?.content;
    if (typeof content !== 'string' || content.trim() === '') throw new MalformedAnswerError('no message content');
    return { text: content, usage: usageOf(completion) };
  }

  /** Yields text deltas, then the token usage when the provider reports it. Ends silently when the signal aborts. */
  async *stream(request: ProviderRequest): AsyncGenerator<ProviderStreamPart, void, undefined> {
    const stream = await (
      await this.sdk()
    ).chat.completions.create(
      { ...this.chatParams(request), stream: true, stream_options: { include_usage: true } },
      callOptions(request),
    );
    let text = '';
    for await (const chunk of stream as AsyncIterable<unknown>) {
      if (!isRecord(chunk) || !Array.isArray(chunk.choices)) throw new MalformedAnswerError('chunk without choices');
      const delta = (firstChoice(chunk)?.delta as { content?: unknown } | undefined)?.content;
      if (typeof delta === 'string' && delta !== '') {
        text += delta;
        yield { delta };
      }
      if (isRecord(chunk.usage)) yield { usage: usageOf(chunk) };
    }
    if (!request.signal.aborted && text.trim() === '') throw new MalformedAnswerError('empty stream');
  }

  private chatParams(request: ProviderRequest) {
    return {
      model: this.model,
      messages: [{ role: 'user' as const, content: request.message }],
      max_tokens: request.maxTokens,
      temperature: request.temperature,
    };
  }

  private sdk(): Promise<OpenAI> {
    const options = this.options;
    if (!options) throw new Error('AI provider is not configured');
    return (this.client ??= loadSdk().then(({ OpenAI }) => new OpenAI(options)));
  }
}

/** Per call: the caller's signal, the header timeout, and never the SDK's own retries. */
function callOptions(request: ProviderRequest) {
  return { signal: request.signal, timeout: Math.max(1, Math.ceil(request.timeoutMs)), maxRetries: 0 };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstChoice(body: unknown): Record<string, unknown> | undefined {
  if (!isRecord(body) || !Array.isArray(body.choices)) throw new MalformedAnswerError('no choices');
  const choice: unknown = body.choices[0];
  return isRecord(choice) ? choice : undefined;
}

function usageOf(body: unknown): TokenUsage {
  const usage = isRecord(body) && isRecord(body.usage) ? body.usage : {};
  const count = (value: unknown): number | null => (Number.isInteger(value) && (value as number) >= 0 ? (value as number) : null);
  return { promptTokens: count(usage.prompt_tokens), completionTokens: count(usage.completion_tokens) };
}

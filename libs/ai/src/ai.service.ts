import { PageCursors } from '@gad/database';
import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { performance } from 'node:perf_hooks';
import { aiConfig } from '@gad/config';
import { MetricsService, type FieldError } from '@gad/observability';
import type { Histogram } from 'prom-client';
import { AiInteractionRepository } from './ai-interaction.repository.js';
import { AiProviderClient, classifyProviderError, type ProviderRequest, type TokenUsage } from './ai-provider.client.js';
import { CallBudget } from './call-budget.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import type { ChatRequestDto } from './dto/chat-request.dto.js';
import type { InteractionsQueryDto } from './dto/interactions-query.dto.js';
import { InteractionDto, type InteractionPageDto } from './dto/interaction.dto.js';
import type { AnswerSource } from './entities/ai-interaction.entity.js';
import { FALLBACK_CAUSES, fallbackMessage, type FallbackCause } from './fallbacks.js';
import { RateWindowRepository, type WindowScope } from './rate-window.repository.js';
import { redactSecrets } from './redact.js';

const EXCERPT_LENGTH = 100;
// Waiters allowed per concurrency slot before new chats are turned away at once.
const WAITERS_PER_SLOT = 4;
// After its deadline a chat's slot is reclaimed even if its consumer never finishes the iterator.
const LEAKED_SLOT_GRACE_MS = 1000;
// The SDK's own timeout fires this long after our deadline: only a backstop.
const SDK_TIMEOUT_SLACK_MS = 1000;
// Causes that say something about the provider (the rest are our own limits or the client).
const PROVIDER_FAILURES: readonly FallbackCause[] = ['timeout', 'upstream_error', 'malformed', 'rate_limited'];

export interface ChatInput {
  message: string;
  maxTokens?: number;
  temperature?: number;
}

export interface ChatContext {
  /** The caller, for the per-user window and the interaction log; null when unknown. */
  userId: string | null;
  requestId: string;
  /** Aborts the provider call when the client goes away. */
  signal?: AbortSignal;
}

export interface ChatAnswer {
  response: string;
  source: AnswerSource;
  timestamp: string;
  requestId: string;
}

/** What `chatStream` yields: text deltas of a provider answer, then exactly one `done` (authoritative: a fallback replaces any partial text). */
export type ChatStreamEvent = { type: 'chunk'; delta: string } | { type: 'done'; answer: ChatAnswer };

/** Provider health for the dashboard and metrics (this process's view); readiness never depends on it. */
export interface AiProviderStatus {
  configured: boolean;
  model: string;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastFailureCause: FallbackCause | null;
}

export interface AiStats {
  /** Chats handled since start. */
  requests: number;
  /** Chats answered by the provider. */
  answered: number;
  fallbacks: Record<FallbackCause, number>;
  inFlight: number;
  queued: number;
  window: 'redis' | 'memory';
}

interface Outcome {
  cause?: FallbackCause;
  text: string;
  usage: TokenUsage;
  /** A provider call was made. */
  upstream: boolean;
  /** How long the provider call itself took (no queueing), for the wait prediction. */
  callMs?: number;
  scope?: WindowScope;
  error?: unknown;
}

const NO_USAGE: TokenUsage = { promptTokens: null, completionTokens: null };

/**
 * Chat with the configured OpenAI-compatible provider, within the global and per-user fixed
 * windows (the shared counters), the per-process concurrency cap and the request timeout. Whatever goes wrong, the caller
 * gets an answer: the fallback sentence for the cause. Every chat is counted and recorded.
 */
@Injectable()
export class AiService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('AI');
  private readonly limiter: ConcurrencyLimiter;
  private readonly pendingWrites = new Set<Promise<void>>();
  private readonly counters = { requests: 0, answered: 0, fallbacks: zeroCounts() };
  private readonly status: Omit<AiProviderStatus, 'configured' | 'model'> = {
    lastSuccessAt: null,
    lastFailureAt: null,
    lastFailureCause: null,
  };

  constructor(
    @Inject(aiConfig.KEY) private readonly config: ConfigType<typeof aiConfig>,
    private readonly provider: AiProviderClient,
    private readonly window: RateWindowRepository,
    private readonly interactions: AiInteractionRepository,
    private readonly cursors: PageCursors,
    @Optional() metrics?: MetricsService,
  ) {
    const max = config.maxConcurrentRequests;
    // one user may hold at most half of the queue
    this.limiter = new ConcurrencyLimiter(
      max,
      max * WAITERS_PER_SLOT,
      config.maxConcurrentPerUser,
      Math.ceil((max * WAITERS_PER_SLOT) / 2),
    );
    this.duration = metrics?.histogram(
      'ai_chat_duration_seconds',
      'AI chats by source and fallback cause (none = answered)',
      ['source', 'cause'],
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    );
    if (metrics) {
      const limiter = this.limiter;
      metrics.gauge('ai_chats_in_flight', 'Provider calls in flight on this process', [], function () {
        this.set(limiter.inFlight);
      });
      metrics.gauge('ai_chats_queued', 'Chats waiting for a provider slot on this process', [], function () {
        this.set(limiter.queued);
      });
    }
  }

  private readonly duration?: Histogram<'source' | 'cause'>;

  /**
   * The bounds that come from configuration, which DTO decorators cannot read. Returns field errors
   * in the shape of the validation pipe's, for HTTP (400) and socket (`error` event) callers alike.
   */
  inputErrors(input: Pick<ChatRequestDto, 'message' | 'max_tokens'>): FieldError[] {
    const errors: FieldError[] = [];
    if (typeof input.message === 'string') {
      if (input.message.trim() === '') errors.push({ field: 'message', message: 'message must not be blank' });
      else if (longerThan(input.message, this.config.maxMessageLength)) {
        errors.push({ field: 'message', message: `message must be at most ${this.config.maxMessageLength} characters` });
      }
    }
    if (typeof input.max_tokens === 'number' && input.max_tokens > this.config.maxTokens) {
      errors.push({ field: 'max_tokens', message: `max_tokens must not be greater than ${this.config.maxTokens}` });
    }
    return errors;
  }

  async chat(input: ChatInput, context: ChatContext): Promise<ChatAnswer> {
    let answer: ChatAnswer | undefined;
    for await (const event of this.run(input, context, false)) {
      if (event.type === 'done') answer = event.answer;
    }
    return answer!;
  }

  /**
   * The same chat as a stream, for SSE and Socket.IO. Leaving the loop early (break, or the
   * context's signal) aborts the provider call.
   */
  chatStream(input: ChatInput, context: ChatContext): AsyncGenerator<ChatStreamEvent, void, undefined> {
    return this.run(input, context, true);
  }

  providerStatus(): AiProviderStatus {
    return { configured: this.provider.configured, model: this.provider.model, ...this.status };
  }

  /** Plain counters since start; the metrics module exports them. */
  stats(): AiStats {
    return {
      requests: this.counters.requests,
      answered: this.counters.answered,
      fallbacks: { ...this.counters.fallbacks },
      inFlight: this.limiter.inFlight,
      queued: this.limiter.queued,
      window: this.window.backend,
    };
  }

  async listInteractions(query: InteractionsQueryDto): Promise<InteractionPageDto> {
    const filters = { source: query.source, user_id: query.user_id };
    const request = this.cursors.request('ai-interactions', filters, query);
    const rows = await this.interactions.findPage({ source: query.source, userId: query.user_id }, request);
    return this.cursors.page('ai-interactions', filters, request, rows, (row) => InteractionDto.from(row));
  }

  /** Resolves once every interaction write started so far has finished (or failed and been logged). */
  async flushInteractions(): Promise<void> {
    while (this.pendingWrites.size > 0) await Promise.all([...this.pendingWrites]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flushInteractions();
  }

  private async *run(
    input: ChatInput,
    context: ChatContext,
    streaming: boolean,
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const startedAt = performance.now();
    this.counters.requests++;
    const budget = new CallBudget(this.config.requestTimeoutMs, context.signal);
    const outcome: Outcome = { text: '', usage: NO_USAGE, upstream: false };
    let completed = false;
    let release: (() => void) | undefined;
    let leakGuard: NodeJS.Timeout | undefined;
    try {
      if (!this.provider.configured) {
        outcome.cause = 'not_configured';
      } else {
        const slot = await this.window.acquire(context.userId);
        const permit = slot.allowed
          ? await this.limiter.acquire(context.userId ?? 'anonymous', budget.deadline, budget.signal)
          : undefined;
        if (!slot.allowed) {
          outcome.cause = 'rate_limited';
          outcome.scope = slot.scope;
        } else if (!permit?.ok) {
          slot.release();
          outcome.cause = permit?.reason ?? 'overloaded';
        } else {
          release = permit.release;
          leakGuard = setTimeout(release, budget.remainingMs + LEAKED_SLOT_GRACE_MS).unref();
          outcome.upstream = true;
          const callStartedAt = performance.now();
          const request: ProviderRequest = {
            message: input.message,
            maxTokens: input.maxTokens ?? this.config.maxTokens,
            temperature: input.temperature ?? this.config.temperature,
            // our own deadline (the budget's signal) decides and classifies; the SDK's timer is only a backstop,
            // set later so that on a loaded machine it cannot fire first with a different error
            timeoutMs: budget.remainingMs + SDK_TIMEOUT_SLACK_MS,
            signal: budget.signal,
          };
          try {
            if (streaming) {
              for await (const part of this.provider.stream(request)) {
                if ('usage' in part) {
                  outcome.usage = part.usage;
                } else {
                  outcome.text += part.delta;
                  yield { type: 'chunk', delta: part.delta };
                }
              }
            } else {
              const answer = await this.provider.complete(request);
              outcome.text = answer.text;
              outcome.usage = answer.usage;
            }
            // an aborted SDK stream ends quietly instead of throwing
            if (budget.abortedBy) outcome.cause = budget.abortedBy;
          } catch (error) {
            outcome.cause = budget.abortedBy ?? classifyProviderError(error);
            outcome.error = error;
          }
          outcome.callMs = performance.now() - callStartedAt;
        }
      }
      completed = true;
    } finally {
      clearTimeout(leakGuard);
      release?.();
      budget.dispose();
      // the consumer stopped iterating mid-stream (or a bug threw): account for it here, as nothing after this runs
      if (!completed) this.settle({ ...outcome, cause: 'cancelled' }, input, context, startedAt);
    }
    yield { type: 'done', answer: this.settle(outcome, input, context, startedAt) };
  }

  /** Counts, updates provider status, and logs and records in the background; returns the answer. */
  private settle(outcome: Outcome, input: ChatInput, context: ChatContext, startedAt: number): ChatAnswer {
    const latencyMs = Math.max(0, Math.round(performance.now() - startedAt));
    const cause = outcome.cause;
    const now = new Date().toISOString();

    if (cause) this.counters.fallbacks[cause]++;
    else this.counters.answered++;
    this.duration?.observe({ source: cause ? 'fallback' : 'ai', cause: cause ?? 'none' }, latencyMs / 1000);
    if (outcome.callMs !== undefined && cause !== 'cancelled') this.limiter.observe(outcome.callMs);
    if (outcome.upstream && !cause) this.status.lastSuccessAt = now;
    if (outcome.upstream && cause && PROVIDER_FAILURES.includes(cause)) {
      this.status.lastFailureAt = now;
      this.status.lastFailureCause = cause;
    }

    if (cause) this.logFallback(cause, input.message, context, outcome);
    this.record({
      userId: context.userId,
      // off by default; when on, redacted before it is cut, so no secret is half kept
      messageExcerpt: this.config.storeExcerpts ? excerptOf(redactSecrets(input.message)) : '',
      source: cause ? 'fallback' : 'ai',
      fallbackCause: cause ?? null,
      model: outcome.upstream ? this.provider.model : null,
      latencyMs,
      promptTokens: outcome.usage.promptTokens,
      completionTokens: outcome.usage.completionTokens,
      requestId: context.requestId || null,
    });

    return {
      response: cause ? fallbackMessage(cause) : outcome.text,
      source: cause ? 'fallback' : 'ai',
      timestamp: now,
      requestId: context.requestId,
    };
  }

  /** Ids, the length and the cause: never what the user typed. */
  private logFallback(cause: FallbackCause, message: string, context: ChatContext, outcome: Outcome): void {
    const length = message.length;
    setImmediate(() => {
      const fields = {
        fallback_cause: cause,
        message_length: length,
        user_id: context.userId,
        request_id: context.requestId,
        ...(outcome.scope ? { limit_scope: outcome.scope } : {}),
        ...(outcome.error ? { err: errorMessage(outcome.error) } : {}),
      };
      if (cause === 'cancelled') this.logger.debug(fields, 'AI chat cancelled by the client');
      else this.logger.warn(fields, 'AI fallback used');
    });
  }

  private record(row: Parameters<AiInteractionRepository['insert']>[0]): void {
    const write: Promise<void> = this.interactions
      .insert(row)
      .catch((error: unknown) =>
        this.logger.error({ err: errorMessage(error), request_id: row.requestId }, 'could not record the AI interaction'),
      )
      .finally(() => this.pendingWrites.delete(write));
    this.pendingWrites.add(write);
  }
}

/** First 100 characters (code points, so no surrogate is split), without NUL bytes PostgreSQL refuses. */
export function excerptOf(message: string): string {
  return [...message.replaceAll('\u0000', '')].slice(0, EXCERPT_LENGTH).join('');
}

export function toChatInput(dto: ChatRequestDto): ChatInput {
  return { message: dto.message, maxTokens: dto.max_tokens ?? undefined, temperature: dto.temperature ?? undefined };
}

function zeroCounts(): Record<FallbackCause, number> {
  return Object.fromEntries(FALLBACK_CAUSES.map((cause) => [cause, 0])) as Record<FallbackCause, number>;
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);
}

/**
 * Whether text has more than `max` characters (code points), without listing them all: a UTF-16 string has at
 * least half as many code points as units and at most as many, so only lengths in between are counted. Spreading
 * a 10 MiB message into an array of characters held the event loop for half a second.
 */
function longerThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  if (text.length > 2 * max) return true;
  return [...text].length > max;
}

import { PageCursors } from '@gad/database';
import { jest } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import { configurationFrom } from '@gad/config';
import type { AiInteractionRepository } from './ai-interaction.repository.js';
import type { AiProviderClient } from './ai-provider.client.js';
import { AiService, excerptOf } from './ai.service.js';
import type { RateWindowRepository } from './rate-window.repository.js';

describe('AiService', () => {
  const logged: { level: string; args: unknown[] }[] = [];
  const capture =
    (level: string) =>
    (...args: unknown[]) =>
      void logged.push({ level, args });
  const logger: LoggerService = { log: capture('log'), warn: capture('warn'), error: capture('error'), debug: capture('debug') };
  beforeAll(() => Logger.overrideLogger(logger));
  beforeEach(async () => {
    await new Promise((resolve) => setImmediate(resolve)); // the previous test's background logs
    logged.length = 0;
  });

  const config = configurationFrom({ ENVIRONMENT: 'test', AI_MAX_MESSAGE_LENGTH: '10', OPENAI_MAX_TOKENS: '100' });
  const insert = jest.fn(async () => undefined);
  const service = new AiService(
    config.ai,
    { configured: false, model: 'gpt-4' } as unknown as AiProviderClient,
    { backend: 'memory' } as unknown as RateWindowRepository,
    { insert } as unknown as AiInteractionRepository,
    new PageCursors(config.auth),
  );

  it('checks the configured bounds, counting characters rather than UTF-16 units', () => {
    expect(service.inputErrors({ message: 'hola' })).toEqual([]);
    expect(service.inputErrors({ message: '😀'.repeat(10) })).toEqual([]);
    expect(service.inputErrors({ message: 'x'.repeat(11) })).toEqual([
      { field: 'message', message: 'message must be at most 10 characters' },
    ]);
    expect(service.inputErrors({ message: ' \t\n' })).toEqual([{ field: 'message', message: 'message must not be blank' }]);
    expect(service.inputErrors({ message: 'hola', max_tokens: 101 })).toEqual([
      { field: 'max_tokens', message: 'max_tokens must not be greater than 100' },
    ]);
    expect(service.inputErrors({ message: 'hola', max_tokens: 100 })).toEqual([]);
  });

  it('tells a long message from a short one at every length around the bound, astral characters included', () => {
    const tooLong = [{ field: 'message', message: 'message must be at most 10 characters' }];
    for (const [message, errors] of [
      ['😀'.repeat(10), []], // 20 units, 10 characters
      ['😀'.repeat(9) + 'xx', tooLong], // 20 units, 11 characters
      ['😀'.repeat(10) + 'x', tooLong], // 21 units: more than twice the bound
      ['x'.repeat(10), []],
    ] as const) {
      expect({ length: message.length, errors: service.inputErrors({ message }) }).toEqual({ length: message.length, errors });
    }
  });

  it('refuses a message far over the bound from its length alone, without listing its characters', () => {
    const huge = 'x'.repeat(10_000_000);
    const iterate = Object.getOwnPropertyDescriptor(String.prototype, Symbol.iterator)!;
    Object.defineProperty(String.prototype, Symbol.iterator, {
      ...iterate,
      value() {
        throw new Error('the characters were listed');
      },
    });
    try {
      expect(service.inputErrors({ message: huge })).toEqual([
        { field: 'message', message: 'message must be at most 10 characters' },
      ]);
    } finally {
      Object.defineProperty(String.prototype, Symbol.iterator, iterate);
    }
  });

  it('keeps a 100-character excerpt without splitting a character or keeping NUL bytes', () => {
    expect(excerptOf('a'.repeat(150))).toBe('a'.repeat(100));
    expect(excerptOf('😀'.repeat(150))).toBe('😀'.repeat(100));
    expect(excerptOf('a\u0000b')).toBe('ab');
  });

  it('answers at once with the fallback when no provider is configured, and still records the chat', async () => {
    const answer = await service.chat({ message: 'hola' }, { userId: null, requestId: 'r1' });
    expect(answer).toEqual({
      response: 'El servicio de IA no está disponible temporalmente. Intente más tarde.',
      source: 'fallback',
      timestamp: expect.any(String),
      requestId: 'r1',
    });
    await service.flushInteractions();
    expect(insert).toHaveBeenCalledWith(
      expect.objectContaining({ source: 'fallback', fallbackCause: 'not_configured', model: null }),
    );
    expect(service.stats()).toMatchObject({
      requests: 1,
      answered: 0,
      fallbacks: expect.objectContaining({ not_configured: 1 }),
    });
  });

  it('logs a fallback in the background with the length of the message, never its text, and stores no excerpt', async () => {
    const message = 'secreto '.repeat(30);
    insert.mockClear();
    await service.chat({ message }, { userId: null, requestId: 'r-log' });
    expect(logged).toEqual([]); // not on the answer's path
    await new Promise((resolve) => setImmediate(resolve));
    const warning = logged.find((entry) => entry.level === 'warn');
    expect(warning?.args[0]).toMatchObject({
      fallback_cause: 'not_configured',
      message_length: message.length,
      request_id: 'r-log',
    });
    expect(JSON.stringify(logged)).not.toContain('secreto');
    await service.flushInteractions();
    expect(insert).toHaveBeenCalledWith(expect.objectContaining({ messageExcerpt: '' }));
  });

  it('with AI_STORE_EXCERPTS, stores the first 100 characters with secrets redacted', async () => {
    const storing = new AiService(
      configurationFrom({ ENVIRONMENT: 'test', AI_STORE_EXCERPTS: 'true' }).ai,
      { configured: false, model: 'gpt-4' } as unknown as AiProviderClient,
      { backend: 'memory' } as unknown as RateWindowRepository,
      { insert } as unknown as AiInteractionRepository,
      new PageCursors(config.auth),
    );
    insert.mockClear();
    await storing.chat({ message: 'mi password: Hunter2-Sup3r! y el estado?' }, { userId: null, requestId: 'r-ex' });
    await storing.flushInteractions();
    expect(insert).toHaveBeenCalledWith(expect.objectContaining({ messageExcerpt: 'mi password: [redacted] y el estado?' }));
  });

  it('never fails the chat when the interaction cannot be written', async () => {
    insert.mockRejectedValueOnce(new Error('database down'));
    const answer = await service.chat({ message: 'hola' }, { userId: null, requestId: 'r2' });
    expect(answer.source).toBe('fallback');
    await expect(service.flushInteractions()).resolves.toBeUndefined();
    expect(logged.some((entry) => entry.level === 'error' && JSON.stringify(entry.args).includes('database down'))).toBe(true);
  });
});

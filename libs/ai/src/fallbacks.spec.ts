import { APIConnectionError, APIConnectionTimeoutError, APIError, RateLimitError } from 'openai';
import { MalformedAnswerError, classifyProviderError, loadSdk } from './ai-provider.client.js';
import { FALLBACK_CAUSES, FALLBACK_MESSAGES, fallbackMessage } from './fallbacks.js';

describe('fallbacks', () => {
  it('keeps the three fallback sentences verbatim', () => {
    expect(FALLBACK_MESSAGES).toEqual({
      ai_unavailable: 'El servicio de IA no está disponible temporalmente. Intente más tarde.',
      processing_error: 'Ocurrió un error procesando su solicitud. Intente nuevamente.',
      timeout_error: 'La solicitud tardó demasiado tiempo. Intente con una consulta más corta.',
    });
  });

  it.each([
    ['not_configured', 'ai_unavailable'],
    ['rate_limited', 'ai_unavailable'],
    ['overloaded', 'ai_unavailable'],
    ['upstream_error', 'ai_unavailable'],
    ['timeout', 'timeout_error'],
    ['malformed', 'processing_error'],
  ] as const)('answers %s with the %s sentence', (cause, kind) => {
    expect(fallbackMessage(cause)).toBe(FALLBACK_MESSAGES[kind]);
  });

  it('has a sentence for every cause', () => {
    for (const cause of FALLBACK_CAUSES) expect(Object.values(FALLBACK_MESSAGES)).toContain(fallbackMessage(cause));
  });

  it('classifies what the provider client throws', async () => {
    await loadSdk(); // the client loads the SDK at boot when configured; its errors can only come after that
    const headers = new Headers();
    expect(classifyProviderError(new RateLimitError(429, undefined, 'slow down', headers))).toBe('rate_limited');
    expect(classifyProviderError(APIError.generate(500, undefined, 'boom', headers))).toBe('upstream_error');
    expect(classifyProviderError(APIError.generate(401, undefined, 'bad key', headers))).toBe('upstream_error');
    expect(classifyProviderError(new APIConnectionError({ message: 'refused' }))).toBe('upstream_error');
    expect(classifyProviderError(new APIConnectionTimeoutError())).toBe('timeout');
    expect(classifyProviderError(new MalformedAnswerError('no choices'))).toBe('malformed');
    expect(classifyProviderError(Object.assign(new Error('Unexpected end of JSON input'), { name: 'SyntaxError' }))).toBe(
      'malformed',
    );
    expect(classifyProviderError(new TypeError('terminated'))).toBe('upstream_error');
  });
});

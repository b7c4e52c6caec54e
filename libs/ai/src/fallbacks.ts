/** Why a chat was answered without the provider. */
export const FALLBACK_CAUSES = [
  'not_configured',
  'rate_limited',
  'overloaded',
  'upstream_error',
  'timeout',
  'malformed',
  'cancelled',
] as const;
export type FallbackCause = (typeof FALLBACK_CAUSES)[number];

/** The fallback sentences clients already show (FallbackService.fallback_responses), verbatim. */
export const FALLBACK_MESSAGES = {
  ai_unavailable: 'El servicio de IA no está disponible temporalmente. Intente más tarde.',
  processing_error: 'Ocurrió un error procesando su solicitud. Intente nuevamente.',
  timeout_error: 'La solicitud tardó demasiado tiempo. Intente con una consulta más corta.',
} as const;
export type FallbackKind = keyof typeof FALLBACK_MESSAGES;

const KIND_BY_CAUSE: Record<FallbackCause, FallbackKind> = {
  not_configured: 'ai_unavailable',
  rate_limited: 'ai_unavailable',
  // a full queue is not helped by a shorter question, so not timeout_error
  overloaded: 'ai_unavailable',
  upstream_error: 'ai_unavailable',
  timeout: 'timeout_error',
  malformed: 'processing_error',
  cancelled: 'ai_unavailable',
};

export function fallbackMessage(cause: FallbackCause): string {
  return FALLBACK_MESSAGES[KIND_BY_CAUSE[cause]];
}

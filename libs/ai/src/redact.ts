const REDACTED = '[redacted]';

// `password: x`, `api_key=x`, `token "x"`, `contraseña x`: the word, a separator, then the value
const LABELLED = new RegExp(
  String.raw`\b((?:pass(?:word|wd|phrase)?|pwd|contrase(?:ñ|n)a|clave|secret|client[_-]?secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|auth(?:orization)?)\b["']?\s*(?:[:=]|\s(?:is|es)\s|\s)\s*["']?)([^\s"',;]+)`,
  'giu',
);
const PATTERNS: RegExp[] = [
  /\bBearer\s+[\w~+/.-]+=*/gi, // an Authorization header value
  /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, // a JWT
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(?:sk|pk|rk)-[\w-]{16,}/g, // OpenAI-style and similar keys
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, // GitHub tokens
  /\bxox[abpors]-[\w-]{10,}/g, // Slack tokens
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s@/]+@/gi, // credentials in a URL
];
// a long run of letters and digits mixed (a key or token of an unknown format)
const OPAQUE = /(?<![\w+/=-])(?=[\w+/=-]{24,})(?=[\w+/=-]*\d)(?=[\w+/=-]*[A-Za-z])[\w+/=-]{24,}/g;

/** Text with obvious secrets (keys, tokens, passwords) replaced by `[redacted]`; the rest as it was. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const pattern of PATTERNS) out = out.replace(pattern, REDACTED);
  out = out.replace(LABELLED, (_match, label: string) => `${label}${REDACTED}`);
  return out.replace(OPAQUE, REDACTED);
}

import { isAccountEmail, normalizeEmail } from './email.js';

describe('account emails', () => {
  it.each([
    ['fullwidth letters fold into ASCII', 'ａｄｍｉｎ@grupogad.com', 'admin@grupogad.com'],
    ['case and spaces', '  Ana.Lopez@Example.COM ', 'ana.lopez@example.com'],
    ['an IDNA domain in its xn-- form', 'ana@bücher.example', 'ana@xn--bcher-kva.example'],
    ['fullwidth @ and dot', 'ana＠example．com', 'ana@example.com'],
  ])('normalizes %s', (_name, raw, normalized) => {
    expect(normalizeEmail(raw)).toBe(normalized);
    expect(isAccountEmail(normalizeEmail(raw))).toBe(true);
  });

  it.each([
    ['Cyrillic а in the local part', '\u0430dmin@grupogad.com'],
    ['a zero-width space', 'admin\u200b@grupogad.com'],
    ['a combining accent', 'admi\u0301n@grupogad.com'],
    ['a quoted local part', '"admin"@grupogad.com'],
    ['a control character', 'ad\u0007min@grupogad.com'],
    ['a right-to-left override', 'admin\u202e@grupogad.com'],
    ['Greek letters', 'αdmin@grupogad.com'],
    ['no domain dot', 'admin@localhost'],
    ['two @', 'a@b@example.com'],
  ])('refuses %s', (_name, raw) => {
    expect(isAccountEmail(normalizeEmail(raw))).toBe(false);
  });
});

import { redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it.each([
    ['a labelled password', 'my password: Hunter2-Sup3r!', 'Hunter2-Sup3r!'],
    ['a password with =', 'password=abc123XYZ', 'abc123XYZ'],
    ['Spanish', 'mi contraseña es Gato-Azul-99', 'Gato-Azul-99'],
    ['an API key', 'api_key=ABCD1234efgh', 'ABCD1234efgh'],
    ['an OpenAI key', 'use sk-proj-abcdefghijklmnop1234 please', 'sk-proj-abcdefghijklmnop1234'],
    ['an AWS key id', 'AKIAIOSFODNN7EXAMPLE is mine', 'AKIAIOSFODNN7EXAMPLE'],
    ['a bearer token', 'Authorization: Bearer abc.def.ghi', 'abc.def.ghi'],
    ['a JWT', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature', 'eyJhbGciOiJIUzI1NiJ9'],
    ['URL credentials', 'postgresql://gad:s3cretpw@db:5432/gad', 's3cretpw'],
    ['an opaque key', 'the key is wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ok', 'wJalrXUtnFEMI/K7MDENG'],
    ['a GitHub token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'ghp_abcdefghijklmnopqrstuvwxyz'],
  ])('redacts %s', (_name, text, secret) => {
    const redacted = redactSecrets(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain('[redacted]');
  });

  it('leaves ordinary text alone', () => {
    for (const text of ['¿Cuál es el estado del sistema?', "O'Brien asked about unit 42 at 10:30", 'ñ'.repeat(60)]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });
});

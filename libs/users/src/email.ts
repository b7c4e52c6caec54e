import { domainToASCII } from 'node:url';
import { ValidateBy, buildMessage, type ValidationOptions } from 'class-validator';

/**
 * The one form an email is stored, compared and looked up in: NFKC (fullwidth `ａ` is `a`, composed
 * accents), trimmed, lower-cased, the domain in its ASCII (IDNA/punycode) form. Invisible and
 * control characters are kept, so that `isAccountEmail` can refuse them rather than silently merge.
 */
export function normalizeEmail(raw: string): string {
  const value = raw.normalize('NFKC').trim().toLowerCase();
  const at = value.lastIndexOf('@');
  if (at < 1) return value;
  const domain = value.slice(at + 1);
  const ascii = /^[\x21-\x7e]*$/.test(domain) ? domain : domainToASCII(domain);
  return ascii ? `${value.slice(0, at)}@${ascii}` : value;
}

// RFC 5322 dot-atom, ASCII only: no quoted local parts, no Unicode look-alikes (`аdmin` in Cyrillic)
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
// LDH labels (punycode `xn--` included), a dot, a letter-only top-level label or an IDNA one
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

export const EMAIL_POLICY =
  'Emails are stored NFKC-normalized and lower-cased; the local part must be plain ASCII (no quotes, invisible or ' +
  'control characters, accents or other scripts); an internationalized domain is stored in its ASCII (xn--) form.';

/** Whether an already normalized email meets the account policy (EMAIL_POLICY). */
export function isAccountEmail(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 320) return false;
  const at = value.lastIndexOf('@');
  if (at < 1) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  return local.length <= 64 && domain.length <= 253 && LOCAL_PART.test(local) && DOMAIN.test(domain);
}

/** class-transformer: the normalized form of a string, anything else untouched. */
export const toNormalizedEmail = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? normalizeEmail(value) : value;

/** class-validator: an account email by EMAIL_POLICY (apply after `@Transform(toNormalizedEmail)`). */
export function IsAccountEmail(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAccountEmail',
      validator: {
        validate: (value) => isAccountEmail(value),
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be a plain email address: ASCII local part, no quotes, invisible characters or look-alike letters`,
          options,
        ),
      },
    },
    options,
  );
}

import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CachedReflector } from './cached-reflector.js';

const Flag = (value: string) => SetMetadata('flag', value);

@Flag('class')
class Annotated {
  @Flag('handler')
  overridden(): void {}

  inherited(): void {}
}

class Plain {
  inherited(): void {}
}

describe('CachedReflector', () => {
  const cached = new CachedReflector();
  const reflector = new Reflector();
  const targets = (cls: { prototype: object }, method: string): [(...args: unknown[]) => unknown, { prototype: object }] => [
    (cls.prototype as Record<string, (...args: unknown[]) => unknown>)[method],
    cls,
  ];

  it.each([
    ['handler over class', Annotated, 'overridden', 'handler'],
    ['class when the handler has none', Annotated, 'inherited', 'class'],
    ['nothing when neither has it', Plain, 'inherited', undefined],
  ])('answers like Reflector: %s, every time', (_name, cls, method, expected) => {
    const t = targets(cls, method);
    expect(reflector.getAllAndOverride('flag', t)).toBe(expected);
    expect(cached.getAllAndOverride('flag', t)).toBe(expected);
    expect(cached.getAllAndOverride('flag', t)).toBe(expected);
  });

  it('keeps answers apart per class sharing a handler, and per key', () => {
    const handler = Annotated.prototype.inherited;
    expect(cached.getAllAndOverride('flag', [handler, Annotated])).toBe('class');
    expect(cached.getAllAndOverride('flag', [handler, Plain])).toBeUndefined();
    expect(cached.getAllAndOverride('other', [handler, Annotated])).toBeUndefined();
  });
});

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

  it.each([
    ['handler over class', [Annotated.prototype.overridden, Annotated], 'handler'],
    ['class when the handler has none', [Annotated.prototype.inherited, Annotated], 'class'],
    ['nothing when neither has it', [Plain.prototype.inherited, Plain], undefined],
  ])('answers like Reflector: %s, every time', (_name, targets, expected) => {
    expect(reflector.getAllAndOverride('flag', targets)).toBe(expected);
    expect(cached.getAllAndOverride('flag', targets)).toBe(expected);
    expect(cached.getAllAndOverride('flag', targets)).toBe(expected);
  });

  it('keeps answers apart per class sharing a handler, and per key', () => {
    const handler = Annotated.prototype.inherited;
    expect(cached.getAllAndOverride('flag', [handler, Annotated])).toBe('class');
    expect(cached.getAllAndOverride('flag', [handler, Plain])).toBeUndefined();
    expect(cached.getAllAndOverride('other', [handler, Annotated])).toBeUndefined();
  });
});

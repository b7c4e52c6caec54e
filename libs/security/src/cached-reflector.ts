import { Reflector } from '@nestjs/core';

type Targets = Parameters<Reflector['getAllAndOverride']>[1];

/**
 * Nest's Reflector for guards that read a route's decorators on every request: the answer for a
 * (handler, class, key) is remembered, since decorators are fixed once the app has booted.
 */
export class CachedReflector extends Reflector {
  private readonly answers = new WeakMap<object, WeakMap<object, Map<unknown, unknown>>>();

  override getAllAndOverride<T = unknown>(metadataKey: unknown, targets: Targets): T {
    const handler = targets[0];
    const classRef = targets[1];
    if (targets.length !== 2 || !handler || !classRef) return super.getAllAndOverride<T>(metadataKey, targets);
    let byClass = this.answers.get(handler);
    if (!byClass) this.answers.set(handler, (byClass = new WeakMap()));
    let byKey = byClass.get(classRef);
    if (!byKey) byClass.set(classRef, (byKey = new Map()));
    if (!byKey.has(metadataKey)) byKey.set(metadataKey, super.getAllAndOverride<T>(metadataKey, targets));
    return byKey.get(metadataKey) as T;
  }
}

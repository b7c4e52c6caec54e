import { Reflector } from '@nestjs/core';

type Targets = Parameters<Reflector['getAllAndOverride']>[1];

interface HandlerAnswers {
  classRef: object;
  answers: Map<unknown, unknown>;
}

/**
 * Nest's Reflector for guards that read a route's decorators on every request: the answer for a
 * (handler, class, key) is remembered, since decorators are fixed once the app has booted. Handlers
 * are the controllers' methods, a fixed set, so the map does not grow past them.
 */
export class CachedReflector extends Reflector {
  private readonly byHandler = new Map<object, HandlerAnswers>();

  override getAllAndOverride<T = unknown>(metadataKey: unknown, targets: Targets): T {
    const handler = targets[0];
    const classRef = targets[1];
    if (targets.length !== 2 || !handler || !classRef) return super.getAllAndOverride<T>(metadataKey, targets);
    let entry = this.byHandler.get(handler);
    if (!entry) this.byHandler.set(handler, (entry = { classRef, answers: new Map() }));
    // a handler inherited by another controller class: rare, answered without the cache
    if (entry.classRef !== classRef) return super.getAllAndOverride<T>(metadataKey, targets);
    let answer = entry.answers.get(metadataKey);
    if (answer === undefined && !entry.answers.has(metadataKey)) {
      entry.answers.set(metadataKey, (answer = super.getAllAndOverride<T>(metadataKey, targets)));
    }
    return answer as T;
  }
}

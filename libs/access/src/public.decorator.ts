import { SetMetadata, applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';

export const IS_PUBLIC_KEY = 'isPublic';

/** The 401's detail for a route that is not public, asked without a token (by the edge or the guard). */
export const AUTHENTICATION_REQUIRED = 'Authentication is required: send a bearer token.';

/**
 * What the HTTP edge knows of a route before its body is read (Fastify's route config, set through
 * @nestjs/platform-fastify's @RouteConfig): whether it needs a token, and whether it takes large bodies.
 */
export interface EdgeRouteFlags {
  public?: boolean;
  largeBody?: boolean;
}

const publicRoute = applyDecorators(SetMetadata(IS_PUBLIC_KEY, true), RouteConfig({ public: true } satisfies EdgeRouteFlags));

/**
 * Opts a route (or every route of a controller) out of the global JWT guard; the edge then reads its
 * body without asking for a token. Fastify's route config is per route, so on a class each method gets it.
 */
export function Public(): MethodDecorator & ClassDecorator {
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) return publicRoute(target, key!, descriptor);
    const prototype = (target as { prototype: object }).prototype;
    SetMetadata(IS_PUBLIC_KEY, true)(target as () => void);
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name)!;
      if (name !== 'constructor' && typeof method.value === 'function') publicRoute(prototype, name, method);
    }
  }) as MethodDecorator & ClassDecorator;
}

/** The route takes bodies up to MAX_REQUEST_BODY_SIZE; every other one stops at MAX_SMALL_REQUEST_BODY_SIZE. */
export const LargeBody = (): MethodDecorator => RouteConfig({ largeBody: true } satisfies EdgeRouteFlags);

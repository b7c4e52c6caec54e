import { parse as parseQuery } from 'node:querystring';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EdgeRouteFlags } from '@gad/access';
import type { Configuration } from '@gad/config';
import type { EdgeSettings } from './edge-settings.js';
import { ProblemException, checkBodyEntry, hasBody, jsonTextBoundsProblem } from '@gad/observability';
import { refuse } from './edge-problem.js';
import type { ThrottleView } from './early-refusals.js';
import { normalizePath } from './probe-paths.js';

const JSON_TYPE = /^application\/(?:[^;\s]+\+)?json\s*(?:;|$)/i;
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** The one route that also takes a form: the OAuth2 password flow. */
export function loginPath(config: Pick<Configuration, 'app'>): string {
  return `${config.app.apiPrefix}/auth/login`;
}

/** The route's flags from @Public() and @LargeBody() (undefined for a route outside Nest or no route). */
export function routeFlags(request: FastifyRequest): EdgeRouteFlags {
  return (request.routeOptions.config ?? {}) as EdgeRouteFlags;
}

/** MAX_REQUEST_BODY_SIZE on routes marked @LargeBody(), MAX_SMALL_REQUEST_BODY_SIZE on every other. */
export function bodyLimitOf(request: FastifyRequest, http: Configuration['http']): number {
  return routeFlags(request).largeBody ? http.maxRequestBodySize : http.maxSmallRequestBodySize;
}

const tooLarge = (limit: number): string => `The request body is larger than the ${limit}-byte limit of this route.`;

/**
 * Checks made on the headers alone, before a byte of the body is read: a declared Content-Length over
 * the route's limit is 413; a body that is not JSON (or, for the login route, a form) is 415.
 * A chunked body is counted by the parser as it arrives and refused the moment it passes the limit.
 */
export function checkBodyHeaders(config: EdgeSettings) {
  const login = normalizePath(loginPath(config));
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const { headers } = request.raw;
    if (!hasBody(request.raw)) return done();
    const limit = bodyLimitOf(request, config.http);
    if (Number(headers['content-length']) > limit) return void refuse(request, reply, 413, tooLarge(limit));
    const type = headers['content-type'] ?? '';
    if (JSON_TYPE.test(type)) return done();
    const isLogin = request.method === 'POST' && normalizePath(request.url.split('?')[0]) === login;
    if (isLogin && mediaType(type) === FORM_TYPE) return done();
    refuse(
      request,
      reply,
      415,
      isLogin ? `Send the request body as application/json or ${FORM_TYPE}.` : 'Send the request body as application/json.',
    );
  };
}

/**
 * JSON bodies (an empty one reads as `{}`), refusing text PostgreSQL cannot store and shapes past the
 * JSON_MAX_* bounds (read off the text in one linear pass, before it is parsed); and the login form.
 * Fastify's own parsers are replaced so every failure is answered in our words.
 */
export function registerBodyParsers(fastify: FastifyInstance, http: Configuration['http'], throttle: ThrottleView): void {
  fastify.removeAllContentTypeParsers();
  // a body read and then refused never reaches the rate limiter's guard: it is charged to the client before
  // the answer (charge never throws)
  const charged =
    <T>(request: FastifyRequest, done: (error: Error | null, body?: T) => void) =>
    (error: Error | null, body?: T): void => {
      if (!error) return done(null, body);
      void throttle.charge(request.ip).then(() => done(error, body));
    };
  fastify.addContentTypeParser(JSON_TYPE, (request, _payload, parsed) => {
    const done = charged(request, parsed);
    readBody(request.raw, bodyLimitOf(request, http), (error, text) => {
      if (error) return done(error, undefined);
      if (text === '') return done(null, {});
      const tooComplex = jsonTextBoundsProblem(text, http.json);
      if (tooComplex) return done(new ProblemException(400, { detail: tooComplex }), undefined);
      try {
        done(null, JSON.parse(text, checkBodyEntry));
      } catch (parseError) {
        const refused = parseError instanceof ProblemException;
        done(refused ? parseError : new ProblemException(400, { detail: 'The request body is not valid JSON.' }), undefined);
      }
    });
  });
  fastify.addContentTypeParser(FORM_TYPE, (request, _payload, parsed) => {
    const done = charged(request, parsed);
    readBody(request.raw, bodyLimitOf(request, http), (error, text) => {
      if (error) return done(error, undefined);
      const form = { ...parseQuery(text, '&', '=', { maxKeys: http.json.maxObjectKeys + 1 }) };
      if (Object.keys(form).length > http.json.maxObjectKeys) {
        return done(
          new ProblemException(400, { detail: `A form with more than ${http.json.maxObjectKeys} fields is not accepted.` }),
          undefined,
        );
      }
      try {
        for (const [key, values] of Object.entries(form)) [values].flat().forEach((value) => checkBodyEntry(key, value));
      } catch (refused) {
        return done(refused as ProblemException, undefined);
      }
      done(null, form);
    });
  });
  // any other type reaches a parser only without a body (checkBodyHeaders refused the rest)
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    if (!hasBody(request.raw)) return done(null, undefined);
    done(new ProblemException(415, { detail: 'Send the request body as application/json.' }), undefined);
  });
}

const NOT_UTF8 = 'The request body is not valid UTF-8 (JSON and forms are read as UTF-8).';

/**
 * Reads a body as UTF-8 text, refusing it with 413 the moment it passes `limit` bytes, and with 400 at the
 * first byte that is not UTF-8 (never stored as U+FFFD in its place). Each socket chunk
 * is decoded as it arrives and let go at once (as body-parser did): text lives in the V8 heap, which
 * returns its pages after a GC. Holding the chunks as buffers until the end (Fastify's own parsers) left
 * 50–180 MB of RSS with the allocator after 20 refused 11 MB uploads in the fault suite.
 */
function readBody(req: IncomingMessage, limit: number, done: (error: Error | null, text: string) => void): void {
  const declared = Number(req.headers['content-length']);
  // ignoreBOM keeps a byte order mark in the text, so JSON.parse refuses it as before
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let text = '';
  let received = 0;
  const finish = (error: Error | null): void => {
    req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onError);
    const result = error ? '' : text;
    text = '';
    done(error, result);
  };
  const decoded = (chunk?: Buffer): boolean => {
    try {
      text += chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
      return true;
    } catch {
      finish(new ProblemException(400, { detail: NOT_UTF8 }));
      return false;
    }
  };
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > limit) return finish(new ProblemException(413, { detail: tooLarge(limit) }));
    decoded(chunk);
  };
  const onEnd = (): void => {
    const complete = !Number.isFinite(declared) || received === declared;
    if (!complete) return finish(new ProblemException(400, { detail: 'The request body does not match its Content-Length.' }));
    if (decoded()) finish(null);
  };
  const onError = (): void => finish(new ProblemException(400, { detail: 'The request body was cut off.' }));
  req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onError);
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

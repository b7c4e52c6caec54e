import type { IncomingMessage } from 'node:http';
import { toProblem } from './problem-mapper.js';

const options = { exposeStack: false };
const request = (complete: boolean) => ({ url: '/api/v1/auth/login', id: 'r1', raw: { complete } as IncomingMessage });
const handlerTimeout = Object.assign(new Error('handler timed out'), { code: 'FST_ERR_HANDLER_TIMEOUT', statusCode: 503 });
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('toProblem', () => {
  it("answers Fastify's handler timeout 503 with Retry-After, or 408 and a closed connection while the body still arrives", () => {
    const answered = toProblem(handlerTimeout, request(true), options);
    expect(answered.problem).toMatchObject({ status: 503, title: 'Request timed out' });
    expect(answered.headers).toEqual({ 'Retry-After': '5' });
    const arriving = toProblem(handlerTimeout, request(false), options);
    expect(arriving.problem).toMatchObject({ status: 408, detail: 'The request took too long to arrive.' });
    expect(arriving.headers).toEqual({ Connection: 'close' });
    expect(arriving.unexpected).toBe(false);
  });

  it('answers a database that does not accept connections 503, but not every error of that SQLSTATE', () => {
    const closed = toProblem(pgError('55000', 'database "gad" is not currently accepting connections'), request(true), options);
    expect(closed.problem.status).toBe(503);
    expect(closed.headers).toEqual({ 'Retry-After': '5' });
    const bug = toProblem(pgError('55000', 'currval of sequence "s" is not yet defined in this session'), request(true), options);
    expect(bug.problem.status).toBe(500);
    expect(bug.unexpected).toBe(true);
  });
});

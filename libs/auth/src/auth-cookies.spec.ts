import { bearerToken } from './auth-cookies.js';

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['BEARER abc extra', 'abc'],
    ['Bearer', undefined],
    ['Bearer ', undefined],
    ['Bearer  abc', undefined],
    [' Bearer abc', undefined],
    ['Bearerabc', undefined],
    ['Basic dXNlcjpwYXNz', undefined],
    ['', undefined],
  ])('reads %j as %j', (authorization, expected) => {
    expect(bearerToken({ headers: { authorization } })).toBe(expected);
  });

  it('reads nothing without the header', () => {
    expect(bearerToken({ headers: {} })).toBeUndefined();
  });
});

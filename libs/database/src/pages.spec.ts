import { configurationFrom } from '@gad/config';
import { ProblemException } from '@gad/observability';
import { PageCursors } from './pages.js';

describe('PageCursors', () => {
  const cursors = new PageCursors(configurationFrom({ ENVIRONMENT: 'test', SECRET_KEY: 'k'.repeat(40) }).auth);
  const last = { createdAt: new Date('2026-12-01T10:00:00.123Z'), id: '6f1c2b1e-0000-4000-8000-000000000001' };

  it('gives back the position it sealed, for the same list and filters', () => {
    const cursor = cursors.seal('audit', { action: 'auth.login', actor: undefined }, last, 0);
    expect(cursors.open('audit', { actor: undefined, action: 'auth.login' }, cursor, 1000)).toEqual(last);
  });

  it('refuses an expired cursor, and one signed with another key', () => {
    const cursor = cursors.seal('users', {}, last, 0);
    const message = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return (error as ProblemException).problem.errors?.[0];
      }
    };
    expect(message(() => cursors.open('users', {}, cursor, 25 * 3600 * 1000))).toEqual({
      field: 'cursor',
      message: 'cursor has expired: start again from the first page.',
    });
    const other = new PageCursors(configurationFrom({ ENVIRONMENT: 'test', SECRET_KEY: 'o'.repeat(40) }).auth);
    expect(message(() => other.open('users', {}, cursor, 0))?.message).toContain('altered');
  });
});

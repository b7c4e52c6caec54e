import pg from 'pg';
import { adminSession, call, createUser, type Session } from './support/http.js';
import { startApp, suiteApps, type TestApp } from './support/test-app.js';
import { tempDir } from './support/test-env.js';

interface Row {
  id: string;
  created_at: string;
}

const ids = (rows: Row[]) => rows.map((r) => r.id);

/** Every page of a list by cursor; fails on a page that repeats a row. */
async function walk(t: TestApp, token: string, path: string, limit: number): Promise<{ rows: Row[]; pages: number }> {
  const rows: Row[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const url: string = `${t.api}${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await call('GET', url, undefined, { token });
    expect(page.status).toBe(200);
    expect(page.body).not.toHaveProperty('total');
    expect(page.body).not.toHaveProperty('skip');
    rows.push(...page.body.items);
    cursor = page.body.next_cursor;
    pages++;
  } while (cursor && pages < 1000);
  expect(new Set(ids(rows)).size).toBe(rows.length);
  return { rows, pages };
}

describe.each([
  ['PostgreSQL', false],
  ['PGlite', true],
])('cursor pages on %s', (_name, embedded) => {
  const suite = suiteApps();
  let t: TestApp;
  let admin: Session;

  beforeAll(async () => {
    t = embedded
      ? await startApp({ DATABASE_URL: undefined, DATA_DIR: tempDir(), RATE_LIMIT_CALLS: '100000', LOGIN_MAX_ATTEMPTS: '1000' })
      : await suite.start({ RATE_LIMIT_CALLS: '100000', LOGIN_MAX_ATTEMPTS: '1000' });
    admin = await adminSession(t.api);
    for (let i = 0; i < 7; i++) await createUser(t.api, admin, { email: `page${i}@example.com` });
  }, 60_000);
  afterAll(() => (embedded ? t.close() : undefined));

  it('walks /users in (created_at, id) order, the same rows as one offset page, and counts only when asked', async () => {
    const { rows, pages } = await walk(t, admin.token, '/users', 3);
    const all = await call('GET', `${t.api}/users?skip=0&limit=100`, undefined, { token: admin.token });
    expect(ids(rows)).toEqual(ids(all.body.items));
    expect(pages).toBe(Math.ceil(rows.length / 3));
    expect(rows.map((r) => `${r.created_at}|${r.id}`)).toEqual(rows.map((r) => `${r.created_at}|${r.id}`).sort());
    const counted = await call('GET', `${t.api}/users?limit=2&count=exact`, undefined, { token: admin.token });
    expect(counted.body).toMatchObject({ total: all.body.total, limit: 2 });
    expect(typeof counted.body.next_cursor).toBe('string');
    expect(counted.body.items[0].roles).toBeInstanceOf(Array);
  });

  it('walks /audit with a filter, newest first', async () => {
    const { rows } = await walk(t, admin.token, '/audit?action=user.created', 2);
    expect(rows).toHaveLength(7);
    const stamps = rows.map((r) => r.created_at);
    expect([...stamps].sort().reverse()).toEqual(stamps);
  });

  it('neither repeats nor skips a row when rows are inserted between pages', async () => {
    const first = await call('GET', `${t.api}/users?limit=3`, undefined, { token: admin.token });
    const late = await createUser(t.api, admin, { email: `late-${embedded}@example.com` }); // the newest: the list's end
    const seen: string[] = ids(first.body.items);
    let cursor: string | null = first.body.next_cursor;
    while (cursor) {
      const page = await call('GET', `${t.api}/users?limit=3&cursor=${encodeURIComponent(cursor)}`, undefined, {
        token: admin.token,
      });
      seen.push(...ids(page.body.items));
      cursor = page.body.next_cursor;
    }
    const now = await call('GET', `${t.api}/users?skip=0&limit=100`, undefined, { token: admin.token });
    expect(seen).toEqual(ids(now.body.items));
    expect(seen.at(-1)).toBe(late.id);
  });

  it('answers 400 naming cursor for a tampered, truncated, foreign or mixed cursor', async () => {
    const page = await call('GET', `${t.api}/audit?action=user.created&limit=1`, undefined, { token: admin.token });
    const cursor: string = page.body.next_cursor;
    const [body, signature] = cursor.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...claims, i: '00000000-0000-0000-0000-000000000000' })).toString('base64url')}.${signature}`;
    const cases: Array<[string, string]> = [
      [`/audit?action=user.created&cursor=${forged}`, 'altered'],
      [`/audit?action=user.created&cursor=${cursor.slice(0, -3)}`, 'altered'],
      [`/audit?action=user.created&cursor=${body}`, 'altered'],
      [`/audit?action=user.created&cursor=..`, 'altered'],
      [`/audit?action=auth.login&cursor=${cursor}`, 'another list or other filters'],
      [`/users?cursor=${cursor}`, 'another list or other filters'],
      [`/ai/interactions?cursor=${cursor}`, 'another list or other filters'],
      [`/audit?action=user.created&skip=0&cursor=${cursor}`, 'either cursor or skip'],
      [`/audit?cursor=${'a'.repeat(600)}`, 'cursor must be shorter'],
    ];
    for (const [path, words] of cases) {
      const res = await call('GET', `${t.api}${path}`, undefined, { token: admin.token });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect(res.body.errors[0].field).toBe('cursor');
      expect(res.body.errors[0].message).toContain(words);
    }
  });
});

describe('list queries use their indexes', () => {
  const suite = suiteApps();

  it('plans an index scan for every list and filter (sequential scans forbidden, as at 1M rows), pruned to the months a cursor can reach', async () => {
    await (await suite.start()).close(); // migrations applied
    const client = new pg.Client({ connectionString: suite.databaseUrl });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      await client.query('SET enable_bitmapscan = off');
      // the logs are partitioned by month, from this one through two ahead: a cursor ten days into next month
      const now = new Date();
      const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 11));
      const later = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1));
      const month = (d: Date) => `p${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
      const at = `'${next.toISOString()}'::timestamptz`;
      const cursor = `(${at}, '00000000-0000-4000-8000-000000000000'::uuid)`;
      const before = `created_at <= ${at} AND (created_at, id) < ${cursor}`; // as readPage asks, newest first
      const uuid = `'00000000-0000-4000-8000-000000000001'::uuid`;
      const plans: Array<[string, string]> = [
        [
          `SELECT id FROM users WHERE created_at >= ${at} AND (created_at, id) > ${cursor} ORDER BY created_at, id LIMIT 101`,
          'users_created_at_id_idx',
        ],
        // sign-in and the email checks: lower(email), as UsersRepository asks
        [`SELECT id FROM users WHERE lower(email) = 'someone@example.com'`, 'users_email_uq'],
        [`SELECT * FROM audit_logs WHERE ${before} ORDER BY created_at DESC, id DESC LIMIT 101`, 'audit_logs_created_at_id_idx'],
        [
          `SELECT * FROM audit_logs WHERE actor_id = ${uuid} AND ${before} ORDER BY created_at DESC, id DESC LIMIT 101`,
          'audit_logs_actor_created_at_id_idx',
        ],
        [
          `SELECT * FROM audit_logs WHERE action = 'auth.login' AND ${before} ORDER BY created_at DESC, id DESC LIMIT 101`,
          'audit_logs_action_created_at_id_idx',
        ],
        [`SELECT * FROM ai_interactions ORDER BY created_at DESC, id DESC LIMIT 101`, 'ai_interactions_created_at_id_idx'],
        [
          `SELECT * FROM ai_interactions WHERE user_id = ${uuid} AND ${before} ORDER BY created_at DESC, id DESC LIMIT 101`,
          'ai_interactions_user_created_at_id_idx',
        ],
        [
          `SELECT * FROM ai_interactions WHERE source = 'ai' ORDER BY created_at DESC, id DESC LIMIT 101`,
          'ai_interactions_source_created_at_id_idx',
        ],
      ];
      for (const [sql, index] of plans) {
        const plan = (await client.query(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
        const used = [...plan.matchAll(/Index (?:Only )?Scan(?: Backward)? using (\w+)/g)].map((m) => m[1]);
        // on a partitioned log, one scan per partition (in order, under an Append): each index is a partition of the parent's
        const parents = await client.query(
          `SELECT coalesce((SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = i::regclass), i) AS parent
           FROM unnest($1::text[]) AS i`,
          [used],
        );
        expect({
          sql,
          indexes: [...new Set(parents.rows.map((r) => r.parent))],
          scans: used.length > 0,
          sort: /\bSort\b/.test(plan),
          seq: /Seq Scan/.test(plan),
        }).toEqual({ sql, indexes: [index], scans: true, sort: false, seq: false });
        if (sql.includes(before)) {
          // months after the cursor are not even planned
          expect({ sql, later: plan.includes(month(later)), next: plan.includes(month(next)) }).toEqual({
            sql,
            later: false,
            next: true,
          });
        }
      }
    } finally {
      await client.end();
    }
  });
});

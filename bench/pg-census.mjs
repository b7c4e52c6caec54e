// A counting TCP proxy in front of PostgreSQL, for the profiler only (not used by run.mjs, whose DB path must
// stay direct). It decodes the client → server half of the wire protocol and tallies every statement the app
// sends: a simple Query ('Q') or an extended-protocol Parse ('P') … Sync ('S') is one round trip.
import net from 'node:net';

const STARTUP_CODES = new Set([196608]); // protocol 3.0
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

export function normalizeSql(sql) {
  return sql.replace(/\s+/g, ' ').trim().slice(0, 220);
}

export async function startCensusProxy(upstreamUrl) {
  const url = new URL(upstreamUrl);
  const host = url.hostname || '127.0.0.1';
  const upstreamPort = Number(url.port || 5432);
  const census = { roundTrips: 0, statements: new Map(), connections: 0 };
  const server = net.createServer((client) => {
    census.connections += 1;
    const upstream = net.connect(upstreamPort, host);
    let buffer = Buffer.alloc(0);
    let startup = true;
    const consume = () => {
      for (let guard = 0; guard < 1_000_000; guard++) {
        if (startup) {
          if (buffer.length < 8) return;
          const len = buffer.readInt32BE(0);
          if (buffer.length < len) return;
          const code = buffer.readInt32BE(4);
          buffer = buffer.subarray(len);
          if (STARTUP_CODES.has(code)) startup = false;
          else if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) return; // cancel request or unknown: stop parsing
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]);
        const len = buffer.readInt32BE(1);
        if (buffer.length < len + 1) return;
        const body = buffer.subarray(5, len + 1);
        if (type === 'Q') {
          census.roundTrips += 1;
          count(census, body.toString('utf8', 0, body.indexOf(0)));
        } else if (type === 'P') {
          const nameEnd = body.indexOf(0);
          count(census, body.toString('utf8', nameEnd + 1, body.indexOf(0, nameEnd + 1)));
        } else if (type === 'S') {
          census.roundTrips += 1;
        }
        buffer = buffer.subarray(len + 1);
      }
    };
    client.on('data', (chunk) => {
      upstream.write(chunk);
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      consume();
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    census,
    reset() {
      census.roundTrips = 0;
      census.statements.clear();
    },
    snapshot() {
      return {
        roundTrips: census.roundTrips,
        statements: [...census.statements.entries()].sort((a, b) => b[1] - a[1]).map(([sql, n]) => ({ sql, n })),
      };
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        setTimeout(resolve, 1000).unref();
      }),
  };
}

function count(census, sql) {
  const key = normalizeSql(sql);
  census.statements.set(key, (census.statements.get(key) ?? 0) + 1);
}

/** Rewrites a PostgreSQL URL to go through the proxy. */
export function viaProxy(databaseUrl, port) {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

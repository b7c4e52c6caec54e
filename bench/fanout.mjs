// Broadcast fan-out latency over Socket.IO: N listeners on /dashboard, one admin emits
// `notification:broadcast`, every listener times the `notification` it receives (emit → receipt, one clock:
// emitter and listeners live in the bench process).
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { ROOT, exists, percentile, round, sleep } from './lib.mjs';

const NAMESPACE = '/dashboard';

function connect(port, token, timeoutMs = 10_000) {
  return new Promise((resolve) => {
    const socket = io(`http://127.0.0.1:${port}${NAMESPACE}`, {
      auth: { token },
      transports: ['websocket'],
      forceNew: true, // one connection per client, not one multiplexed Manager
      reconnection: false,
      timeout: timeoutMs,
    });
    const timer = setTimeout(() => done({ ok: false, error: 'connect timeout' }), timeoutMs + 500);
    function done(result) {
      clearTimeout(timer);
      socket.off('connect');
      socket.off('connect_error');
      if (!result.ok) socket.close();
      resolve({ ...result, socket });
    }
    socket.once('connect', () => done({ ok: true }));
    socket.once('connect_error', (error) => done({ ok: false, error: error?.message ?? String(error) }));
  });
}

/** Is there a realtime module with a /dashboard namespace that accepts our token? */
export async function realtimeAvailable(port, token) {
  const source = ['libs/realtime', 'dist/libs/realtime'].some((p) => exists(join(ROOT, p)));
  if (!source) return { ok: false, note: 'skipped: libs/realtime does not exist yet' };
  const probe = await connect(port, token, 5000);
  probe.socket.close();
  if (!probe.ok) return { ok: false, note: `skipped: could not connect to ${NAMESPACE} (${probe.error})` };
  return { ok: true };
}

/**
 * Connects `clients` listeners with `listenerToken`, then sends `broadcasts` notifications from an admin
 * socket, one at a time (each waits for every receipt or `perBroadcastTimeoutMs`), starting one every
 * `spacingMs` at most: the gateway lets one socket send 20 events per 10 s (fixed window), and 550 ms keeps
 * the bench under that limit so no broadcast is dropped as rate-limited.
 */
export async function measureFanout({
  port,
  adminToken,
  listenerToken,
  clients = 500,
  broadcasts = 20,
  perBroadcastTimeoutMs = 5000,
  spacingMs = 550,
}) {
  const listeners = [];
  const connectErrors = new Map();
  const pending = new Map(); // message → { sentAt, received, latencies, resolve }
  try {
    const connectStart = performance.now();
    for (let i = 0; i < clients; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, clients - i) }, () => connect(port, listenerToken)));
      for (const r of batch) {
        if (r.ok) listeners.push(r.socket);
        else connectErrors.set(r.error, (connectErrors.get(r.error) ?? 0) + 1);
      }
    }
    const connectMs = performance.now() - connectStart;
    const admin = await connect(port, adminToken);
    if (!admin.ok) return { ok: false, note: `admin socket refused: ${admin.error}` };
    listeners.push(admin.socket); // closed with the rest
    const socketErrors = [];
    admin.socket.on('error', (e) => socketErrors.length < 50 && socketErrors.push(e));
    for (const socket of listeners) {
      if (socket === admin.socket) continue;
      socket.on('notification', (payload) => {
        const entry = pending.get(payload?.message);
        if (!entry) return;
        entry.latencies.push(performance.now() - entry.sentAt);
        if (entry.latencies.length >= entry.expected) entry.resolve();
      });
    }
    const expected = listeners.length - 1;
    const all = [];
    let missing = 0;
    for (let b = 0; b < broadcasts; b++) {
      const message = `bench fan-out ${b} ${Date.now()}`;
      const entry = { sentAt: 0, latencies: [], expected, resolve: () => {} };
      const complete = new Promise((resolve) => {
        entry.resolve = resolve;
      });
      pending.set(message, entry);
      const startedAt = performance.now();
      entry.sentAt = startedAt;
      admin.socket.emit('notification:broadcast', { message, level: 'info' });
      await Promise.race([complete, sleep(perBroadcastTimeoutMs)]);
      pending.delete(message);
      missing += expected - entry.latencies.length;
      all.push(...entry.latencies);
      await sleep(Math.max(50, spacingMs - (performance.now() - startedAt)));
    }
    all.sort((a, b) => a - b);
    return {
      ok: all.length > 0,
      clients: expected,
      connectErrors: Object.fromEntries(connectErrors),
      connectSec: round(connectMs / 1000, 2),
      broadcasts,
      receipts: all.length,
      missing,
      p50: round(percentile(all, 50), 2),
      p99: round(percentile(all, 99), 2),
      max: round(all[all.length - 1] ?? null, 2),
      rateLimited: socketErrors.filter((e) => /rate_limited/.test(JSON.stringify(e))).length,
      socketErrors: socketErrors.map((e) => JSON.stringify(e).slice(0, 200)),
      note:
        all.length === 0
          ? `no notification received (errors: ${
              socketErrors
                .map((e) => JSON.stringify(e))
                .join('; ')
                .slice(0, 300) || 'none'
            })`
          : undefined,
    };
  } finally {
    for (const socket of listeners) socket.close();
  }
}

import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

export type ClientSocket = Socket;
export type ConnectError = Error & { data?: { detail?: string } };

/** Open client sockets, closed by closeAll() (call it in afterEach/afterAll). */
const open = new Set<Socket>();

/** A /dashboard client over WebSocket, no automatic reconnection; connects at once. */
export function dashboardSocket(origin: string, token?: string, options: Partial<ManagerOptions & SocketOptions> = {}): Socket {
  const socket = io(`${origin}/dashboard`, {
    auth: token ? { token } : {},
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
    ...options,
  });
  open.add(socket);
  socket.on('disconnect', () => open.delete(socket));
  return socket;
}

export function closeAll(): void {
  for (const socket of open) socket.disconnect();
  open.clear();
}

/** Resolves once connected; rejects with the refusal. */
export function connected(socket: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** Resolves with the refusal; rejects if the socket connects. */
export function refused(socket: Socket): Promise<ConnectError> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('expected a refusal, but the socket connected')));
    socket.once('connect_error', resolve);
  });
}

/** The next `event` whose payload passes `accept`, within `timeoutMs`. */
export function nextEvent<T = any>(
  socket: Socket,
  event: string,
  accept: (payload: T) => boolean = () => true,
  timeoutMs = 4000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

/** Resolves with the disconnect reason. */
export function disconnected(socket: Socket, timeoutMs = 4000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!socket.connected && !socket.active) return resolve('already disconnected');
    const timer = setTimeout(() => reject(new Error(`still connected after ${timeoutMs} ms`)), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/** Collects every `event` payload from now on. */
export function collect<T = any>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => seen.push(payload));
  return seen;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

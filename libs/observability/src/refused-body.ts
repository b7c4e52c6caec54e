import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long a refused upload's connection stays half-open after the answer, so the client can read it. */
const LINGER_MS = 2000;

/**
 * Answers with `Connection: close`, then lingers as nginx does: half-closes, and destroys the socket
 * once the client hangs up or LINGER_MS passes. Node would destroy it as soon as the answer is written;
 * with the client still uploading that is a reset, and the client can lose the 413 to an EPIPE (the
 * fault suite saw 9 of 20 concurrent 11 MB uploads get no answer). The rest of the body is not read.
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  if (res.headersSent) return;
  res.setHeader('Connection', 'close');
  // marks the body as taken, so Node does not drain it after the answer: reading and discarding what
  // the clients still sent grew RSS by ~24 MB for 20 refused uploads in the fault suite
  req.read(0);
  // and read no more of it: what still arrives waits in the kernel until the socket closes
  req.pause();
  const socket: Socket = req.socket;
  // Node calls destroySoon() once a `Connection: close` answer has been written
  socket.destroySoon = () => {
    if (socket.writable) socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('end', () => socket.destroy());
  };
}

export function hasBody(req: Pick<IncomingMessage, 'headers'>): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
}

/** A body that is refused while it may still be arriving: close the connection rather than read it all. */
export function isRefusedUpload(req: IncomingMessage, status: number): boolean {
  return (status === 413 || status === 415) && !req.complete && hasBody(req);
}

import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Bytes of a refused body read and dropped, at most, while the client reads the refusal; past them it is cut off. */
const drainBytes = 16 * 1024 * 1024;
/** How long the rest of a refused body may take to arrive before it is cut off. */
const drainMs = 10_000;
/** After a cut-off, how long the client has to read the refusal before the socket is closed. */
const lingerMs = 2_000;

/**
 * Lets the client of a request refused before its body was read (a blob past the size limit, a chunk out of order,
 * a full disk) read the refusal. A server that closes the connection while the body still arrives makes its system
 * answer the client with a TCP reset; a client that is still writing then fails on the write, and many (Go's
 * transport about half the time, anything that writes its request before it reads) report "connection reset" or
 * "broken pipe" instead of the refusal. So the rest of the body is read and dropped: when it ends, the connection
 * stays (some clients, containerd 1.6, also hang on a connection closed under a body they are still writing). A
 * body past `drainBytes` or `drainMs` is cut off in stages, as RFC 9112 section 9.6 asks: the registry stops
 * sending (FIN), reads on for `lingerMs`, and only then closes.
 */
export function drainRefusedBody(request: FastifyRequest, reply: FastifyReply): void {
  const body = request.raw;
  if (!hasUnreadBody(request)) return;
  const socket = body.socket as Socket | null;
  if (socket === null || body.destroyed) {
    // A body already torn down (its client went away, or a reader destroyed it) can be read no further.
    reply.header('connection', 'close');
    return;
  }
  // Node closes a connection whose response says "close" (because its client asked to) with destroySoon(): end, and
  // destroy as soon as the end is written, with the body still arriving. Until the body has been read, this socket
  // only half-closes; Node's own closing then follows.
  let closing = false;
  const halfClose = (): void => {
    closing = true;
    socket.end();
  };
  socket.destroySoon = halfClose;
  let dropped = 0;
  const onData = (chunk: Buffer): void => {
    dropped += chunk.length;
    if (dropped > drainBytes) cutOff();
  };
  const timer = setTimeout(() => cutOff(), drainMs);
  timer.unref();
  const settle = (): void => {
    clearTimeout(timer);
    body.off('data', onData);
    body.off('end', onEnd);
    socket.off('close', settle);
  };
  const onEnd = (): void => {
    settle();
    if (socket.destroySoon === halfClose) Reflect.deleteProperty(socket, 'destroySoon');
    if (closing) socket.destroySoon();
  };
  const cutOff = (): void => {
    settle();
    lingeringClose(socket);
  };
  body.on('data', onData);
  body.once('end', onEnd);
  socket.once('close', settle);
  body.resume();
}

/** Ends the sending side and keeps reading (dropping) for a while, so a reset never overtakes the last response. */
function lingeringClose(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function hasUnreadBody(request: FastifyRequest): boolean {
  const declared = request.headers['content-length'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (declared !== undefined && declared !== '0');
  return hasBody && !request.raw.complete;
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { fileRegionOf, type FileRegion } from '../storage/file-region.js';
import { sendfileAddon, type SendfileAddon } from './native-sendfile.js';

/** Bytes per trip to the thread pool: large enough that the trips cost nothing, small enough to share the pool. */
const quantumBytes = 16 * 1024 * 1024;
/** How long one trip waits on a full socket before handing its thread back. */
const socketWaitMs = 10;
/** Pauses between trips while a client reads nothing, growing to the last. */
const stalledPausesMs = [5, 10, 20, 50, 100, 250];
/** A client that reads nothing for this long is cut off, as an idle socket would be. */
const stalledLimitMs = 120_000;

/**
 * Blob bodies sent each way since start, and their bytes: for metrics, and for tests to see which path served them.
 * Bytes count as the kernel sends them on the sendfile path, and once the whole body is out on the streamed one.
 */
export const blobSendCounts = { sendfile: 0, streamed: 0, bytes: 0 };

/**
 * Sends a blob body whose headers are set on `reply`. A blob in a local file goes to a plain TCP socket with
 * sendfile(2): the kernel moves page-cache pages to the socket and no byte passes through JavaScript. Anything
 * else (TLS, object storage, the addon missing) streams.
 */
export function sendBlob(reply: FastifyReply, stream: Readable): FastifyReply | Promise<void> {
  const region = fileRegionOf(stream);
  const addon = region ? sendfileAddon().addon : undefined;
  const socket = reply.raw.socket as (Socket & { encrypted?: boolean; _handle?: { fd?: number } }) | null;
  const fd = socket?._handle?.fd;
  if (!region || !addon || !socket || socket.encrypted || typeof fd !== 'number' || fd < 0 || region.length === 0) {
    blobSendCounts.streamed++;
    const length = Number(reply.getHeader('content-length'));
    // 'finish': the whole body has been handed to the socket (a body cut short is not counted).
    if (Number.isSafeInteger(length)) reply.raw.once('finish', () => { blobSendCounts.bytes += length; });
    return reply.send(stream);
  }
  blobSendCounts.sendfile++;
  return sendRegion(reply, socket, fd, region, stream, addon);
}

async function sendRegion(reply: FastifyReply, socket: Socket, socketFd: number, region: FileRegion, stream: Readable,
  addon: SendfileAddon): Promise<void> {
  reply.hijack();
  const response = reply.raw;
  try {
    response.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
    response.flushHeaders();
    // The headers must be on the wire before the first body byte: wait until the socket has written them.
    await new Promise<void>((resolve, reject) => socket.write(Buffer.alloc(0), (error) => (error ? reject(error) : resolve())));
    let sent = 0;
    let stalledSince = 0;
    let pause = 0;
    while (sent < region.length) {
      if (socket.destroyed) throw new Error('the client closed the connection');
      const count = await addon.sendFile(socketFd, region.fd, region.start + sent,
        Math.min(quantumBytes, region.length - sent), socketWaitMs);
      if (count > 0) {
        sent += count;
        blobSendCounts.bytes += count;
        stalledSince = 0;
        pause = 0;
        continue;
      }
      const now = Date.now();
      if (stalledSince === 0) stalledSince = now;
      else if (now - stalledSince > stalledLimitMs) throw new Error(`the client read nothing for ${stalledLimitMs / 1000} s`);
      await sleep(stalledPausesMs[Math.min(pause++, stalledPausesMs.length - 1)]);
    }
    response.end();
  } catch (error) {
    // Part of the body may be out: the only honest end is to close the connection (the client sees a short body).
    reply.log.debug({ err: error }, 'blob send stopped');
    socket.destroy();
  } finally {
    stream.destroy();
  }
}

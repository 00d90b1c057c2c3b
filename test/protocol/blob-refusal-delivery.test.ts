/*
 * A refusal sent while the client is still sending its body must reach the client. A registry that closes the
 * connection as soon as it has answered makes a client still writing receive a TCP reset, and the reset can make
 * its system drop the answer it had not read yet: the client then sees "connection reset" instead of 413.
 * These clients write their whole body whatever the registry answers, as naive ones do, over raw sockets.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import {
  assertError, parseRawHttpResponse, pushBlob, randomBlob, requestHead, sha256, startUpload, uniqueRepo, uploadFiles,
} from '../support/registry-client.js';

const limit = 1000;
const attempts = 20;

/**
 * Sends `head`, then `total` bytes of body (framed as HTTP chunks when `chunked`), and only then reads the answer, as
 * a client does that writes its request before it looks at the response (and as Go's transport does whenever its
 * writer fails before its reader has parsed the answer). Resolves to the answer's bytes, or to the error that cut
 * the body off: a registry that closed the connection under the body.
 */
function sendWhole(url: string, head: string, total: number, chunked: boolean): Promise<{ answer: Buffer } | { cutOff: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.pause();
    let settled = false;
    const settle = (outcome: { answer: Buffer } | { cutOff: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ cutOff: 'no answer within 30 s' }), 30_000);
    socket.on('error', (error: NodeJS.ErrnoException) => settle({ cutOff: error.code ?? error.message }));
    const readAnswer = (): void => {
      const received: Buffer[] = [];
      const done = (): void => settle({ answer: Buffer.concat(received) });
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        // A registry that keeps the connection waits for the next request: done once the answer is whole.
        if (answerComplete(Buffer.concat(received))) done();
      });
      socket.on('end', done);
      socket.resume();
    };
    let sent = 0;
    const piece = randomBlob(64 * 1024);
    const writeMore = (): void => {
      while (!settled && sent < total) {
        const bytes = piece.subarray(0, Math.min(piece.length, total - sent));
        sent += bytes.length;
        const framed = chunked ? Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]) : bytes;
        const last = sent >= total && chunked ? Buffer.from('0\r\n\r\n') : Buffer.alloc(0);
        if (!socket.write(Buffer.concat([framed, last]))) {
          socket.once('drain', writeMore);
          return;
        }
      }
      // Everything is in the socket's hands: what the system could not deliver shows as an error meanwhile.
      if (!settled) socket.write(Buffer.alloc(0), () => { if (!settled) readAnswer(); });
    };
    socket.once('connect', () => {
      socket.write(head);
      writeMore();
    });
  });
}

/** Whether `raw` holds a whole HTTP response: its head and as many body bytes as its Content-Length says. */
function answerComplete(raw: Buffer): boolean {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return false;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(raw.subarray(0, end).toString('latin1'));
  return length !== null && raw.length - (end + 4) >= Number(length[1]);
}

/** How many whole responses `raw` holds, one after the other. */
function countAnswers(raw: Buffer): number {
  let count = 0;
  let rest = raw;
  while (answerComplete(rest)) {
    const end = rest.indexOf('\r\n\r\n');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(rest.subarray(0, end).toString('latin1'))![1]);
    rest = rest.subarray(end + 4 + length);
    count++;
  }
  return count;
}

describe('refusals sent while the client is still sending', { timeout: 300_000 }, () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess({ limits: { blobMaxBytes: limit } }); });
  after(async () => { await registry.close(); });

  it(`delivers the 413 for a declared 24 MiB POST past the limit to a client that writes it all, ${attempts} times out of ${attempts}`, async () => {
    const total = 24 * 1024 * 1024;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const repository = uniqueRepo();
      const outcome = await sendWhole(registry.url, requestHead(registry.url, 'POST', `/v2/${repository}/blobs/uploads/?digest=${sha256('x')}`, {
        'Content-Type': 'application/octet-stream', 'Content-Length': String(total),
      }), total, false);
      assert.ok('answer' in outcome, `attempt ${attempt + 1}: the body was cut off (${'cutOff' in outcome ? outcome.cutOff : ''}) before the answer could be read`);
      await assertError(parseRawHttpResponse(outcome.answer), 413, 'SIZE_INVALID', `attempt ${attempt + 1}`);
    }
    assert.deepEqual(uploadFiles(registry.dataDir), []);
  });

  it(`delivers the 413 for a chunked PATCH that passes the limit mid-body to a client that writes it all, ${attempts} times out of ${attempts}`, async () => {
    const total = 4 * 1024 * 1024;
    const repository = uniqueRepo();
    for (let attempt = 0; attempt < attempts; attempt++) {
      const session = await startUpload(registry.url, repository);
      const outcome = await sendWhole(registry.url, requestHead(registry.url, 'PATCH', new URL(session.location).pathname, {
        'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked',
      }), total, true);
      assert.ok('answer' in outcome, `attempt ${attempt + 1}: the body was cut off (${'cutOff' in outcome ? outcome.cutOff : ''}) before the answer could be read`);
      await assertError(parseRawHttpResponse(outcome.answer), 413, 'SIZE_INVALID', `attempt ${attempt + 1}`);
      const cancelled = await fetch(session.location, { method: 'DELETE' });
      assert.equal(cancelled.status, 204);
    }
  });

  it('keeps a keep-alive connection after a refused body it read to the end: the next request on it is answered', async () => {
    const total = 8 * 1024 * 1024;
    const { host } = new URL(registry.url);
    const refusedHead = `POST /v2/${uniqueRepo()}/blobs/uploads/?digest=${sha256('x')} HTTP/1.1\r\nHost: ${host}\r\n`
      + `Content-Type: application/octet-stream\r\nContent-Length: ${total}\r\n\r\n`;
    const socket = connect(Number(new URL(registry.url).port), new URL(registry.url).hostname);
    try {
      await new Promise((resolve) => socket.once('connect', resolve));
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.write(refusedHead);
      const piece = randomBlob(1024 * 1024);
      for (let sent = 0; sent < total; sent += piece.length) {
        if (!socket.write(piece)) await new Promise((resolve) => socket.once('drain', resolve));
      }
      const answerIn = async (count: number): Promise<void> => {
        for (let waited = 0; waited < 10_000 && countAnswers(Buffer.concat(received)) < count; waited += 20) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      await answerIn(1);
      assert.equal(countAnswers(Buffer.concat(received)), 1, 'the refusal arrives');
      assert.match(Buffer.concat(received).toString('latin1'), /^HTTP\/1\.1 413 /);
      socket.write(`GET /v2/ HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      await answerIn(2);
      const both = Buffer.concat(received).toString('latin1');
      assert.match(both.slice(both.indexOf('HTTP/1.1', 10)), /^HTTP\/1\.1 200 /, 'the connection carries the next request');
    } finally {
      socket.destroy();
    }
  });

  it('keeps serving on the same footing afterwards', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(limit);
    assert.equal(await pushBlob(registry.url, repository, bytes), sha256(bytes));
  });
});

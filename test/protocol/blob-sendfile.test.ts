/*
 * Blob pulls through sendfile(2) (src/http/send-blob.ts, native/sendfile.c): the bytes must be exactly those of a
 * streamed pull whatever the client does: read slowly, reuse the connection, ask for a range, or hang up midway.
 * The same pulls run against a process with the helper turned off (BERTH_SENDFILE=0), which streams.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { blobSendCounts } from '../../src/http/send-blob.js';
import { sendfileAddon } from '../../src/http/native-sendfile.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { blobUrl, eventually, pullBlob, pushBlob, randomBlob, sha256, uniqueRepo } from '../support/registry-client.js';

/** Larger than one 16 MiB trip to the thread pool, so a pull takes several. */
const size = 40 * 1024 * 1024 + 12_345;

/** GETs `path` on a raw socket, pausing after the first `pauseAfter` bytes; answers the head and the body bytes. */
function slowGet(base: string, path: string, pauseAfter: number, pauseMs: number): Promise<{ head: string; body: Buffer }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    let received = 0;
    let paused = false;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (!paused && received >= pauseAfter) {
        paused = true;
        socket.pause();
        setTimeout(() => socket.resume(), pauseMs);
      }
    });
    socket.once('error', reject);
    socket.once('end', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      resolve({ head: all.subarray(0, end).toString('latin1'), body: all.subarray(end + 4) });
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
  });
}

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('blob pulls through sendfile', { timeout: 120_000 }, () => {
  let registry: InProcessBerth;
  const repository = uniqueRepo('sendfile');
  const bytes = randomBlob(size);
  let digest: string;

  before(async () => {
    registry = await startInProcess();
    digest = await pushBlob(registry.url, repository, bytes);
  });
  after(async () => { await registry.close(); });

  it('has the sendfile helper built (npm run build:native; the test setup installs gcc)', () => {
    const { addon, why } = sendfileAddon();
    assert.ok(addon, `the sendfile helper did not load: ${why}`);
  });

  it('sends a blob larger than one trip byte for byte, through sendfile', async () => {
    const before = blobSendCounts.sendfile;
    const body = await pullBlob(registry.url, repository, digest);
    assert.equal(body.length, size);
    assert.equal(sha256(body), digest);
    assert.equal(blobSendCounts.sendfile, before + 1, 'the pull went through sendfile');
  });

  it('sends a range that spans trips, from an offset inside the file', async () => {
    const [start, end] = [17_000_001, 35_123_456];
    const response = await fetch(blobUrl(registry.url, repository, digest), { headers: { range: `bytes=${start}-${end}` } });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get('content-range'), `bytes ${start}-${end}/${size}`);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes.subarray(start, end + 1));
  });

  it('serves a client that stops reading for a while, then resumes, with every byte intact', async () => {
    const { head, body } = await slowGet(registry.url, `/v2/${repository}/blobs/${digest}`, 1024 * 1024, 700);
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.match(head, new RegExp(`\r\ncontent-length: ${size}\r\n`, 'i'));
    assert.equal(body.length, size);
    assert.equal(sha256(body), digest);
  });

  it('answers two pulls on one kept-alive connection, each with its own head and body', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const results: { reused: boolean; digest: string; length: number }[] = [];
      for (let round = 0; round < 2; round++) {
        results.push(await new Promise((resolve, reject) => {
          const request = http.get(blobUrl(registry.url, repository, digest), { agent }, (response) => {
            const hash = createHash('sha256');
            let length = 0;
            response.on('data', (chunk: Buffer) => { hash.update(chunk); length += chunk.length; });
            response.once('end', () => resolve({ reused: request.reusedSocket, digest: `sha256:${hash.digest('hex')}`, length }));
            response.once('error', reject);
          });
          request.once('error', reject);
        }));
      }
      assert.deepEqual(results.map((result) => [result.digest, result.length]), [[digest, size], [digest, size]]);
      assert.equal(results[1]?.reused, true, 'the second pull reused the connection');
    } finally {
      agent.destroy();
    }
  });

  it('stops cleanly when the client hangs up midway: no descriptor stays open, and the next pull works', async () => {
    const baseline = openDescriptors();
    const url = new URL(registry.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname);
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 2 * 1024 * 1024) {
          socket.destroy();
          resolve();
        }
      });
      socket.once('error', reject);
      socket.write(`GET /v2/${repository}/blobs/${digest} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    });
    await eventually('the blob file and socket copies to be closed', () => (openDescriptors() <= baseline ? true : undefined));
    assert.equal(sha256(await pullBlob(registry.url, repository, digest)), digest);
  });

  it('sends an empty blob (nothing for sendfile to do) as an empty 200', async () => {
    const empty = await pushBlob(registry.url, repository, Buffer.alloc(0));
    const response = await fetch(blobUrl(registry.url, repository, empty));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), '0');
    assert.equal((await response.arrayBuffer()).byteLength, 0);
  });
});

describe('blob pulls with the sendfile helper turned off (BERTH_SENDFILE=0)', { timeout: 120_000 }, () => {
  let registry: BerthProcess;
  const repository = uniqueRepo('streamed');
  const bytes = randomBlob(size);
  let digest: string;

  before(async () => {
    registry = await startBerthProcess({ env: { BERTH_SENDFILE: '0' } });
    digest = await pushBlob(registry.url, repository, bytes);
  });
  after(async () => {
    await registry.stop();
    removeDataDir(registry.dataDir);
  });

  it('streams the same bytes, whole and in a range', async () => {
    assert.equal(sha256(await pullBlob(registry.url, repository, digest)), digest);
    const response = await fetch(blobUrl(registry.url, repository, digest), { headers: { range: 'bytes=1000-2000999' } });
    assert.equal(response.status, 206);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes.subarray(1000, 2001000));
  });

  it('serves a slow client with every byte intact', async () => {
    const { body } = await slowGet(registry.url, `/v2/${repository}/blobs/${digest}`, 1024 * 1024, 300);
    assert.equal(sha256(body), digest);
  });
});

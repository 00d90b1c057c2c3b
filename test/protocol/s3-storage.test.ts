/*
 * Berth with its blobs in a real S3 server (OpenStack Swift's S3 API, started by the test): pushes and pulls over
 * HTTP, and, with storage.s3.redirectSeconds, blob GETs answered with a 307 to a presigned URL from which the client
 * fetches the bytes (whole or a range) directly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { blobUrl, pullBlob, pushBlob, pushBlobChunked, randomBlob, sha256 } from '../support/registry-client.js';
import { startSwift, type S3Server } from '../support/swift.js';

describe('blobs in S3', { timeout: 120_000 }, () => {
  let s3: S3Server;
  let streaming: InProcessBerth;
  let redirecting: InProcessBerth;
  const storage = (bucket: string, redirectSeconds: number) => ({
    s3: {
      endpoint: s3.endpoint, region: s3.region, bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true, createBucket: true, redirectSeconds,
    },
  });

  before(async () => {
    s3 = await startSwift();
    streaming = await startInProcess({ storage: storage('berth-streaming', 0) });
    redirecting = await startInProcess({ storage: storage('berth-redirecting', 300) });
  });
  after(async () => {
    await streaming?.close();
    await redirecting?.close();
    await s3?.stop();
  });

  it('takes monolithic and chunked pushes and serves them back, whole and in ranges, through the node', async () => {
    const bytes = randomBlob(3 * 1024 * 1024 + 5);
    const digest = await pushBlob(streaming.url, 'team/app', bytes);
    assert.deepEqual(await pullBlob(streaming.url, 'team/app', digest), bytes);
    const chunked = randomBlob(2 * 1024 * 1024 + 77);
    const chunkedDigest = await pushBlobChunked(streaming.url, 'team/app', chunked, [700_000, 900_000, chunked.length - 1_600_000]);
    assert.equal(chunkedDigest, sha256(chunked));
    assert.deepEqual(await pullBlob(streaming.url, 'team/app', chunkedDigest), chunked);
    const range = await fetch(blobUrl(streaming.url, 'team/app', digest), { headers: { range: 'bytes=1000-1999' } });
    assert.equal(range.status, 206);
    assert.deepEqual(Buffer.from(await range.arrayBuffer()), bytes.subarray(1000, 2000));
  });

  it('joins chunks of 5 MiB and more inside the object store, byte for byte', async () => {
    const bytes = randomBlob(10 * 1024 * 1024 + 1003);
    const digest = await pushBlobChunked(streaming.url, 'team/big', bytes, [5 * 1024 * 1024, 5 * 1024 * 1024 + 3, 1000]);
    assert.equal(digest, sha256(bytes));
    assert.deepEqual(await pullBlob(streaming.url, 'team/big', digest), bytes);
  });

  it('answers a GET with 307 to a presigned URL of the object store, which serves the bytes and ranges', async () => {
    const bytes = randomBlob(1024 * 1024 + 3);
    const digest = await pushBlob(redirecting.url, 'team/app', bytes);
    const answer = await fetch(blobUrl(redirecting.url, 'team/app', digest), { redirect: 'manual' });
    assert.equal(answer.status, 307);
    assert.equal(answer.headers.get('docker-content-digest'), digest);
    const location = answer.headers.get('location')!;
    assert.ok(location.startsWith(`${s3.endpoint}/`), `redirected to the object store: ${location}`);
    assert.match(location, /X-Amz-Signature=/);
    assert.deepEqual(Buffer.from(await (await fetch(location)).arrayBuffer()), bytes);
    // A client following the redirect gets the blob, and its Range goes along.
    assert.deepEqual(await pullBlob(redirecting.url, 'team/app', digest), bytes);
    const range = await fetch(blobUrl(redirecting.url, 'team/app', digest), { headers: { range: 'bytes=10-19' } });
    assert.equal(range.status, 206);
    assert.deepEqual(Buffer.from(await range.arrayBuffer()), bytes.subarray(10, 20));
    // HEAD is answered by the node itself, from metadata.
    const head = await fetch(blobUrl(redirecting.url, 'team/app', digest), { method: 'HEAD', redirect: 'manual' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(bytes.length));
  });

  it('still refuses a blob the repository may not see, without redirecting', async () => {
    const digest = await pushBlob(redirecting.url, 'team/owner', randomBlob(100));
    const answer = await fetch(blobUrl(redirecting.url, 'team/stranger', digest), { redirect: 'manual' });
    assert.equal(answer.status, 404);
  });
});

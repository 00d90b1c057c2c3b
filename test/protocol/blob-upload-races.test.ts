/*
 * Two requests writing to one upload session at once, over real HTTP. Only one can continue the upload; the other
 * must be told where the upload stands (416 with Range and Location), as for a chunk out of order, so that its
 * client resumes instead of abandoning the push, and the upload must then complete with the right bytes.
 */
import assert from 'node:assert/strict';
import { request as httpRequestRaw, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import {
  assertError, completeUpload, patchChunk, pullBlob, randomBlob, resolveLocation, sha256, startUpload, uniqueRepo, uploadStatus,
  type ResponseLike,
} from '../support/registry-client.js';

interface Answer extends ResponseLike {
  readonly headers: IncomingHttpHeaders;
}

/**
 * A PATCH whose head and first half go out at once, and whose second half waits for `finish()`: while it waits, the
 * registry is inside the request, holding the session.
 */
function halfSentPatch(location: string, start: number, bytes: Buffer): { answer: Promise<Answer>; finish(): void } {
  const url = new URL(location);
  const request = httpRequestRaw({
    host: url.hostname, port: url.port, path: url.pathname, method: 'PATCH', agent: false,
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
      'content-range': `${start}-${start + bytes.length - 1}`,
    },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: response.statusCode!, headers: response.headers, text: async () => text,
          header: (name) => { const value = response.headers[name.toLowerCase()]; return Array.isArray(value) ? value.join(', ') : value; },
        });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
  });
  const half = Math.floor(bytes.length / 2);
  request.write(bytes.subarray(0, half));
  return { answer, finish: () => request.end(bytes.subarray(half)) };
}

describe('two requests writing to one upload session at once', { timeout: 60_000 }, () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  it('answers the second of two racing PATCHes with 416, the Range held and the Location, and completes the upload', async () => {
    const repository = uniqueRepo();
    const bytes = randomBlob(100 + 300_000 + 5_000);
    const session = await startUpload(registry.url, repository);
    const first = await patchChunk(session.location, bytes.subarray(0, 100), { range: '0-99' });
    assert.equal(first.status, 202);
    await first.arrayBuffer();

    // Both carry the same next chunk, as a client's retry racing its first try does; both are inside the registry
    // before either body is complete.
    const chunk = bytes.subarray(100, 300_100);
    const racers = [halfSentPatch(session.location, 100, chunk), halfSentPatch(session.location, 100, chunk)];
    const loser = await Promise.race(racers.map(async (racer) => ({ racer, answer: await racer.answer })));
    for (const racer of racers) racer.finish();
    const answers = await Promise.all(racers.map((racer) => racer.answer));

    assert.deepEqual(answers.map((answer) => answer.status).sort(), [202, 416], 'one chunk goes in, the other is refused');
    assert.equal(loser.answer.status, 416, 'the refusal comes while the other request still holds the session');
    const refused = loser.answer;
    assert.equal(refused.header('range'), '0-99', 'the refusal says what the upload held');
    assert.equal(resolveLocation(registry.url, refused.header('location')), session.location, 'and where to resume');
    await assertError(refused, 416, 'BLOB_UPLOAD_INVALID', 'the racing PATCH');
    const accepted = answers.find((answer) => answer.status === 202)!;
    assert.equal(accepted.header('range'), '0-300099');

    // The refused client asks where the upload stands, finds its chunk in, and finishes.
    const status = await uploadStatus(session.location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-300099');
    const put = await completeUpload(session.location, sha256(bytes), bytes.subarray(300_100), { 'content-range': `300100-${bytes.length - 1}` });
    assert.equal(put.status, 201, await put.text());
    assert.deepEqual(await pullBlob(registry.url, repository, sha256(bytes)), bytes);
  });
});

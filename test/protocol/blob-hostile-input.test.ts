/*
 * Hostile and broken input on the blob endpoints, over real HTTP with paths sent verbatim (node:http and raw
 * node:net: fetch's URL parser would resolve `..` and `%2e%2e` before anything reached the registry). Whatever
 * arrives, the registry answers with a 4XX, touches nothing outside its data folder, and keeps working.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import {
  assertError, assertSpecConformingErrorBody, blobFiles, eventually, headBlobStatus, httpRequest, listFiles,
  patchChunk, pullBlob, pushBlob, randomBlob, rawRequest, requestHead, sendTruncated, sha256, startUpload,
  uniqueRepo, uploadFiles, uploadIdOf, uploadStatus,
} from '../support/registry-client.js';

// The timeout only keeps a registry that stops answering from hanging the run; nothing asserts on time.
describe('hostile input on the blob endpoints', { timeout: 120_000 }, () => {
  let registry: InProcessBerth;
  /** A name no test creates on purpose: if a file or folder of this name appears anywhere, something escaped. */
  const marker = `escape${randomBytes(6).toString('hex')}`;

  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  function assertNothingEscaped(): void {
    const outside = readdirSync(dirname(registry.dataDir));
    assert.ok(!outside.some((entry) => entry.includes(marker)), `nothing named ${marker} next to the data folder`);
    assert.ok(!listFiles(registry.dataDir).some((path) => path.includes(marker)), `nothing named ${marker} inside it`);
    assert.ok(!existsSync(join(process.cwd(), marker)), `nothing named ${marker} in the working directory`);
  }

  async function assertStillWorks(): Promise<void> {
    const repository = uniqueRepo();
    const bytes = randomBlob(321);
    const digest = await pushBlob(registry.url, repository, bytes);
    assert.deepEqual(await pullBlob(registry.url, repository, digest), bytes);
    assert.ok(existsSync(join(registry.dataDir, 'berth.db')), 'the database is where it was');
  }

  describe('repository names', () => {
    const body = Buffer.from('hostile bytes');
    const digest = sha256(body);
    // Distribution answers an invalid name that reaches its handlers with NAME_INVALID, status 400.
    const invalidNames: [string, string][] = [
      ['a leading ../', `../${marker}`],
      ['../ after a component', `team/../../${marker}`],
      ['percent-encoded dots', `%2e%2e/%2e%2e/${marker}`],
      ['mixed-case percent-encoded dots', `%2E%2e/${marker}`],
      ['percent-encoded slashes and dots', `team%2F..%2F..%2F${marker}`],
      ['a ./ component', `team/./${marker}`],
      ['a backslash traversal', `..%5C..%5C${marker}`],
      ['an absolute path', `%2Ftmp%2F${marker}`],
      ['a NUL byte', `team%00/${marker}`],
      ['uppercase', `Team/${marker.toUpperCase()}`],
      ['an empty component', `team//${marker}`],
      ['a trailing separator', `team/${marker}-`],
      ['256 characters', `${'a'.repeat(100)}/${'b'.repeat(100)}/${'c'.repeat(54)}`],
    ];

    for (const [what, name] of invalidNames) {
      it(`refuses ${what} with 400 NAME_INVALID on every blob endpoint`, async () => {
        const paths: [string, string, Buffer | undefined][] = [
          ['POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, body],
          ['POST', `/v2/${name}/blobs/uploads/`, undefined],
          ['GET', `/v2/${name}/blobs/${digest}`, undefined],
          ['DELETE', `/v2/${name}/blobs/${digest}`, undefined],
          ['PATCH', `/v2/${name}/blobs/uploads/0f8a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b`, body],
          ['PUT', `/v2/${name}/blobs/uploads/0f8a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b?digest=${digest}`, body],
        ];
        for (const [method, path, requestBody] of paths) {
          const response = await httpRequest(registry.url, { method, path, ...(requestBody && { body: requestBody }) });
          await assertError(response, 400, 'NAME_INVALID', `${method} ${path}`);
        }
        const head = await httpRequest(registry.url, { method: 'HEAD', path: `/v2/${name}/blobs/${digest}` });
        assert.equal(head.status, 400, `HEAD /v2/${name}/blobs/${digest}`);
        assert.equal(head.body.length, 0);

        assert.deepEqual(uploadFiles(registry.dataDir), [], 'no upload area was opened');
        assertNothingEscaped();
      });
    }

    it('accepts a name of exactly 255 characters (the limit Distribution also applies)', async () => {
      const name = `${'a'.repeat(100)}/${'b'.repeat(100)}/${'c'.repeat(53)}`;
      assert.equal(name.length, 255);
      const bytes = randomBlob(64);
      const pushed = await pushBlob(registry.url, name, bytes);
      assert.deepEqual(await pullBlob(registry.url, name, pushed), bytes);
    });

    it('stores nothing for the refused names and keeps working', async () => {
      assert.ok(!blobFiles(registry.dataDir).some((path) => path.endsWith(digest.slice('sha256:'.length))),
        'the hostile body was never stored');
      await assertStillWorks();
      assertNothingEscaped();
    });
  });

  describe('upload ids', () => {
    // Each id is used on a repository that has a live session, which must come through untouched.
    const ids: [string, string][] = [
      ['..', '..'],
      ['.', '.'],
      ['percent-encoded ..', '%2e%2e'],
      ['a backslash traversal', '..%5C..%5Cberth.db'],
      ['a NUL byte', 'abc%00def'],
      ['a very long id', 'a'.repeat(2000)],
      ['shell and glob characters', '*%3B%20rm%20-rf%20'],
    ];
    // Ids whose decoding holds a "/": the path then no longer has the upload endpoint's shape for Berth, so the code
    // may differ; the status is still 404 and the body still the spec's.
    const slashIds: [string, string][] = [
      ['an encoded ../../berth.db', '..%2F..%2Fberth.db'],
      ['encoded traversal into storage', '%2e%2e%2f%2e%2e%2fstorage%2fblobs'],
    ];

    let repository: string;
    let session: string;
    const held = randomBlob(500);
    before(async () => {
      repository = uniqueRepo();
      session = (await startUpload(registry.url, repository)).location;
      const response = await patchChunk(session, held, { range: '0-499' });
      assert.equal(response.status, 202);
      await response.arrayBuffer();
    });

    const attempts = (id: string): [string, string, Buffer | undefined][] => [
      ['GET', `/v2/${repository}/blobs/uploads/${id}`, undefined],
      ['PATCH', `/v2/${repository}/blobs/uploads/${id}`, Buffer.from('overwrite')],
      ['PUT', `/v2/${repository}/blobs/uploads/${id}?digest=${sha256('overwrite')}`, Buffer.from('overwrite')],
      ['DELETE', `/v2/${repository}/blobs/uploads/${id}`, undefined],
    ];

    for (const [what, id] of ids) {
      it(`answers an upload id with ${what} with 404 BLOB_UPLOAD_UNKNOWN`, async () => {
        for (const [method, path, body] of attempts(id)) {
          const response = await httpRequest(registry.url, { method, path, ...(body && { body }) });
          await assertError(response, 404, 'BLOB_UPLOAD_UNKNOWN', `${method} ${path.slice(0, 120)}`);
        }
      });
    }

    for (const [what, id] of slashIds) {
      it(`answers an upload id with ${what} with 404 and a spec error body`, async () => {
        for (const [method, path, body] of attempts(id)) {
          const response = await httpRequest(registry.url, { method, path, ...(body && { body }) });
          assert.equal(response.status, 404, `${method} ${path}: ${response.body.toString().slice(0, 200)}`);
          await assertSpecConformingErrorBody(response, `${method} ${path}`);
        }
      });
    }

    it('leaves the live session, the stored blobs and the database untouched', async () => {
      const status = await uploadStatus(session);
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), '0-499');
      assert.deepEqual(uploadFiles(registry.dataDir), [uploadIdOf(session)]);
      assert.equal(await headBlobStatus(registry.url, repository, sha256('overwrite')), 404);
      await assertStillWorks();
    });
  });

  describe('truncated and malformed requests', () => {
    it('forgets a single POST whose client vanished mid-body; nothing of it remains', async () => {
      const repository = uniqueRepo();
      const bytes = randomBlob(3 * 1024 * 1024);
      const digest = sha256(bytes);
      const uploadsBefore = uploadFiles(registry.dataDir);
      const answer = await sendTruncated(registry.url,
        requestHead(registry.url, 'POST', `/v2/${repository}/blobs/uploads/?digest=${digest}`, {
          'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length),
        }),
        bytes.subarray(0, 2 * 1024 * 1024));
      assert.equal(answer.length, 0, 'no answer to a request whose body never completed');
      await eventually('the half-received upload to be removed', () =>
        uploadFiles(registry.dataDir).length === uploadsBefore.length ? true : undefined);
      assert.deepEqual(uploadFiles(registry.dataDir), uploadsBefore);
      assert.equal(await headBlobStatus(registry.url, repository, digest), 404);
      await assertStillWorks();
    });

    it('forgets a PATCH whose chunked body was cut before its last chunk; the session is unchanged', async () => {
      const repository = uniqueRepo();
      const bytes = randomBlob(2 * 1024 * 1024);
      const session = await startUpload(registry.url, repository);
      const first = await patchChunk(session.location, bytes.subarray(0, 100), { range: '0-99' });
      assert.equal(first.status, 202);
      await first.arrayBuffer();
      // One HTTP chunk of 1.5 MiB, then the socket closes: no terminating zero chunk ever arrives.
      const part = bytes.subarray(100, 100 + 1_500_000);
      await sendTruncated(registry.url,
        requestHead(registry.url, 'PATCH', new URL(session.location).pathname, {
          'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked',
        }),
        Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]));
      await eventually('the cut chunk to be rolled back', async () => {
        const status = await uploadStatus(session.location);
        await status.arrayBuffer();
        return status.status === 204 && status.headers.get('range') === '0-99' ? true : undefined;
      });
      await assertStillWorks();
    });

    it('answers bytes that are not HTTP with 400 and keeps serving', async () => {
      const raw = await rawRequest(registry.url, 'THIS IS NOT HTTP\r\n\r\n');
      assert.equal(raw.status, 400);
      await assertSpecConformingErrorBody(raw, 'garbage request');
      await assertStillWorks();
    });

    it('answers a non-numeric Content-Length with 400 and keeps serving', async () => {
      const raw = await rawRequest(registry.url, requestHead(registry.url, 'POST',
        `/v2/${uniqueRepo()}/blobs/uploads/?digest=${sha256('x')}`, { 'Content-Length': 'lots' }));
      assert.equal(raw.status, 400);
      await assertSpecConformingErrorBody(raw, 'non-numeric Content-Length');
      await assertStillWorks();
    });

    it('answers a path with malformed percent-encoding with 400 and the spec\'s error envelope', async () => {
      // Spec, "Error Codes": a 4XX body MAY be any format, but "If the response body is in JSON format, it MUST
      // have the following format: {"errors":[{"code","message","detail"}]}".
      for (const path of [`/v2/${uniqueRepo()}/blobs/uploads/%`, `/v2/team%zz/blobs/uploads/`, `/v2/team/blobs/sha256%3`]) {
        const response = await httpRequest(registry.url, { method: 'GET', path });
        assert.equal(response.status, 400, `${path}: ${response.body.toString().slice(0, 200)}`);
        await assertSpecConformingErrorBody(response, `GET ${path}`);
      }
      await assertStillWorks();
    });
  });
});

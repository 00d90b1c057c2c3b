import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  acceptAll, buildImage, expectError, getManifest, mediaTypes, pushBlobs, pushManifest, putManifest, randomDigest,
  rawRequest, type BuiltManifest, type RawResponse,
} from '../support/image-builder.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

/**
 * Hostile and malformed input on the manifest, tag and referrers endpoints. Each test ends by checking that the
 * registry still serves: a refusal must never cost the next client anything.
 */

/** A raw response's body, checked against the spec's error format when it is JSON. */
function expectSpecErrorBody(response: RawResponse, codes?: readonly string[]): void {
  const type = response.headers['content-type'] ?? '';
  if (!type.includes('json')) return;
  // "A 4XX response code from the registry MAY return a body in any format. If the response body is in JSON format,
  // it MUST have the following format: {"errors": [{"code", "message", "detail"}, ...]}"
  const body = JSON.parse(response.body) as { errors?: { code?: unknown }[] };
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `JSON error body outside the spec format: ${response.body.slice(0, 300)}`);
  const code = body.errors[0]!.code;
  assert.equal(typeof code, 'string');
  assert.match(code as string, /^[A-Z_]+$/);
  if (codes) assert.ok(codes.includes(code as string), `code ${String(code)}, expected one of ${codes.join(', ')}`);
}

function rawPut(baseUrl: string, path: string, body: Buffer, contentType = mediaTypes.ociManifest): Promise<RawResponse> {
  const head = `PUT ${path} HTTP/1.1\r\nHost: ${new URL(baseUrl).host}\r\nConnection: close\r\n` +
    `Content-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`;
  return rawRequest(baseUrl, Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

function rawGet(baseUrl: string, path: string): Promise<RawResponse> {
  return rawRequest(baseUrl, `GET ${path} HTTP/1.1\r\nHost: ${new URL(baseUrl).host}\r\nConnection: close\r\nAccept: ${acceptAll}\r\n\r\n`);
}

describe('hostile input on the manifest endpoints', () => {
  let registry: InProcessBerth;
  const repository = 'hostile/app';
  let known: BuiltManifest;

  before(async () => {
    registry = await startInProcess();
    known = buildImage();
    await pushManifest(registry.url, repository, 'known', known);
  });
  after(async () => { await registry.close(); });

  /** The registry still answers, and still serves what it served before. */
  async function assertStillServes(): Promise<void> {
    const base = await fetch(`${registry.url}/v2/`);
    assert.equal(base.status, 200);
    const pulled = await getManifest(registry.url, repository, 'known', acceptAll);
    assert.equal(pulled.status, 200);
    assert.ok(Buffer.from(await pulled.arrayBuffer()).equals(known.bytes));
    const catalog = await (await fetch(`${registry.url}/v2/_catalog`)).json() as { repositories: string[] };
    for (const name of catalog.repositories) {
      assert.match(name, /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/, `catalog holds "${name}"`);
    }
  }

  describe('repository names', () => {
    it('refuses names with ../ segments, sent as they are', async () => {
      for (const path of ['/v2/a/../../escape/manifests/v1', '/v2/../../escape/manifests/v1', '/v2/hostile/../app/manifests/known']) {
        const get = await rawGet(registry.url, path);
        assert.equal(get.status, 400, `GET ${path}: ${get.body}`);
        expectSpecErrorBody(get, ['NAME_INVALID']);
        const put = await rawPut(registry.url, path, known.bytes);
        assert.equal(put.status, 400, `PUT ${path}: ${put.body}`);
        expectSpecErrorBody(put, ['NAME_INVALID']);
      }
      await assertStillServes();
    });

    it('refuses percent-encoded traversal in names', async () => {
      for (const path of [
        '/v2/a%2F..%2F..%2Fescape/manifests/v1', '/v2/%2e%2e/%2e%2e/escape/manifests/v1', '/v2/%2E%2E%2Fescape/manifests/v1',
        '/v2/hostile%2F..%2Fapp/manifests/known', '/v2/hostile%00/app/manifests/v1', '/v2/hostile%5C..%5Capp/manifests/v1',
      ]) {
        const get = await rawGet(registry.url, path);
        assert.equal(get.status, 400, `GET ${path}: ${get.body}`);
        expectSpecErrorBody(get, ['NAME_INVALID']);
        const put = await rawPut(registry.url, path, known.bytes);
        assert.equal(put.status, 400, `PUT ${path}: ${put.body}`);
        expectSpecErrorBody(put, ['NAME_INVALID']);
      }
      await assertStillServes();
    });

    it('refuses uppercase, empty components and over-long names with NAME_INVALID', async () => {
      const names = ['Hostile/App', 'hostile/APP', 'hostile//app', '-hostile/app', 'hostile/app-', 'hostile/a..b', `a${'b'.repeat(300)}`, `${'a/'.repeat(200)}a`];
      for (const name of names) {
        await pushBlobs(registry.url, repository, known);
        await expectError(await putManifest(registry.url, name, 'v1', known), 400, 'NAME_INVALID');
        await expectError(await getManifest(registry.url, name, 'v1', acceptAll), 400, 'NAME_INVALID');
        await expectError(await fetch(`${registry.url}/v2/${name}/tags/list`), 400, 'NAME_INVALID');
        await expectError(await fetch(`${registry.url}/v2/${name}/referrers/${known.digest}`), 400, 'NAME_INVALID');
      }
      await assertStillServes();
    });

    it('leaves the data folder holding nothing but what Berth put there', async () => {
      // Traversal through a name must not create anything beside the data folder.
      const parent = dirname(registry.dataDir);
      const before = new Set(readdirSync(parent));
      await rawPut(registry.url, '/v2/..%2F..%2Fescape/manifests/v1', known.bytes);
      await rawPut(registry.url, '/v2/../escape/manifests/v1', known.bytes);
      const created = readdirSync(parent).filter((entry) => !before.has(entry) && entry.includes('escape'));
      assert.deepEqual(created, []);
      await assertStillServes();
    });
  });

  describe('references', () => {
    it('refuses references holding path characters', async () => {
      for (const reference of ['..%2F..%2Fx', '%2e%2e', '.', 'v1%00', 'a%5Cb', 'a%2Fb', `${'%2e%2e%2f'.repeat(10)}etc`]) {
        const path = `/v2/${repository}/manifests/${reference}`;
        const get = await rawGet(registry.url, path);
        assert.ok([400, 404].includes(get.status), `GET ${path}: ${get.status} ${get.body}`);
        expectSpecErrorBody(get);
        const put = await rawPut(registry.url, path, known.bytes);
        assert.ok([400, 404].includes(put.status), `PUT ${path}: ${put.status} ${put.body}`);
        expectSpecErrorBody(put);
        const del = await rawRequest(registry.url, `DELETE ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        assert.ok([400, 404].includes(del.status), `DELETE ${path}: ${del.status} ${del.body}`);
      }
      await assertStillServes();
    });

    it('answers a malformed percent-escape with the spec error body', async () => {
      for (const path of [`/v2/${repository}/manifests/%`, `/v2/${repository}/manifests/v1%zz`, '/v2/hostile%/app/manifests/v1']) {
        const get = await rawGet(registry.url, path);
        assert.equal(get.status, 400, `GET ${path}: ${get.body}`);
        expectSpecErrorBody(get, ['NAME_INVALID', 'TAG_INVALID', 'MANIFEST_INVALID']);
      }
      await assertStillServes();
    });

    it('refuses tags of 129 characters and of 8 KiB with TAG_INVALID', async () => {
      for (const tag of [`a${'b'.repeat(128)}`, 'x'.repeat(8 * 1024)]) {
        await expectError(await putManifest(registry.url, repository, tag, known), 400, 'TAG_INVALID');
        await expectError(await getManifest(registry.url, repository, tag, acceptAll), 400, 'TAG_INVALID');
        await expectError(await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, { method: 'DELETE' }), 400, 'TAG_INVALID');
      }
      await assertStillServes();
    });

    it('refuses a request line of 64 KiB without harm', async () => {
      const tag = 'y'.repeat(64 * 1024);
      const response = await rawGet(registry.url, `/v2/${repository}/manifests/${tag}`);
      assert.ok([400, 414, 431].includes(response.status), `answered ${response.status}`);
      expectSpecErrorBody(response);
      await assertStillServes();
    });

    it('refuses a digest of an unknown algorithm or a wrong length with DIGEST_INVALID', async () => {
      for (const reference of [`sha256:${'0'.repeat(63)}`, `sha256:${'0'.repeat(65)}`, `sha512:${'0'.repeat(64)}`, `md5:${'0'.repeat(32)}`,
        `sha256:${'g'.repeat(64)}`, `sha256:${'0'.repeat(10_000)}`]) {
        await expectError(await getManifest(registry.url, repository, reference, acceptAll), 400, 'DIGEST_INVALID');
        await expectError(await putManifest(registry.url, repository, reference, known), 400, 'DIGEST_INVALID');
      }
      await assertStillServes();
    });

    it('takes huge last and n values on the tag list without harm', async () => {
      const last = await fetch(`${registry.url}/v2/${repository}/tags/list?last=${'z'.repeat(4000)}`);
      assert.equal(last.status, 200);
      assert.deepEqual(((await last.json()) as { tags: string[] }).tags, []);
      const n = await fetch(`${registry.url}/v2/${repository}/tags/list?n=${'9'.repeat(40)}`);
      assert.equal(n.status, 200);
      assert.deepEqual(((await n.json()) as { tags: string[] }).tags, ['known']);
      await assertStillServes();
    });
  });

  describe('malformed HTTP', () => {
    it('answers broken framing with 400 and, when JSON, the spec error body', async () => {
      const host = new URL(registry.url).host;
      const head = `PUT /v2/${repository}/manifests/framing HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nContent-Type: ${mediaTypes.ociManifest}\r\n`;
      const requests = [
        `${head}Content-Length: abc\r\n\r\n${known.bytes.toString('latin1')}`,
        `${head}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`,
        `${head}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ];
      for (const request of requests) {
        const response = await rawRequest(registry.url, request);
        assert.equal(response.status, 400, `${request.split('\r\n').slice(4, 6).join(' | ')}: ${response.body}`);
        expectSpecErrorBody(response);
      }
      await expectError(await getManifest(registry.url, repository, 'framing', acceptAll), 404, 'MANIFEST_UNKNOWN');
      await assertStillServes();
    });

    it('survives a manifest PUT whose connection closes before the declared length arrives', async () => {
      const host = new URL(registry.url).host;
      const partial = known.bytes.subarray(0, 100).toString('latin1');
      const request = `PUT /v2/${repository}/manifests/cut HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n` +
        `Content-Type: ${mediaTypes.ociManifest}\r\nContent-Length: ${known.size}\r\n\r\n${partial}`;
      const response = await rawRequest(registry.url, request);
      assert.ok(response.status === 0 || (response.status >= 400 && response.status < 500), `answered ${response.status}`);
      await expectError(await getManifest(registry.url, repository, 'cut', acceptAll), 404, 'MANIFEST_UNKNOWN');
      await assertStillServes();
    });
  });

  describe('pathological JSON within the size limit', () => {
    let image: BuiltManifest;
    before(async () => {
      image = buildImage();
      await pushBlobs(registry.url, repository, image);
    });

    /** The push is answered (stored, or refused as invalid), never with a server error, and a stored one is served intact. */
    async function expectHandled(response: Response, tag: string, bytes: Buffer): Promise<void> {
      assert.ok([201, 400].includes(response.status), `answered ${response.status}: ${(await response.clone().text()).slice(0, 300)}`);
      if (response.status === 400) {
        await expectError(response, 400, 'MANIFEST_INVALID');
      } else {
        const pulled = await getManifest(registry.url, repository, tag, acceptAll);
        assert.equal(pulled.status, 200);
        assert.ok(Buffer.from(await pulled.arrayBuffer()).equals(bytes));
      }
      await assertStillServes();
    }

    it('handles 100,000 levels of nested arrays in an extra field', async () => {
      const depth = 100_000;
      const json = JSON.stringify(image.json);
      const bytes = Buffer.from(`${json.slice(0, -1)},"nested":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      await expectHandled(await putManifest(registry.url, repository, 'nested-arrays', bytes, mediaTypes.ociManifest), 'nested-arrays', bytes);
    });

    it('handles 100,000 levels of nested objects inside a descriptor', async () => {
      const depth = 100_000;
      const config = JSON.stringify(image.json.config);
      const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const bytes = Buffer.from(`{"schemaVersion":2,"mediaType":"${mediaTypes.ociManifest}","config":${config.slice(0, -1)},"x":${deep}},"layers":[]}`);
      await expectHandled(await putManifest(registry.url, repository, 'nested-objects', bytes, mediaTypes.ociManifest), 'nested-objects', bytes);
    });

    it('refuses deep nesting where a descriptor belongs as MANIFEST_INVALID', async () => {
      const depth = 50_000;
      const config = JSON.stringify(image.json.config);
      const bytes = Buffer.from(`{"schemaVersion":2,"mediaType":"${mediaTypes.ociManifest}","config":${config},"layers":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      await expectError(await putManifest(registry.url, repository, 'nested-layers', bytes, mediaTypes.ociManifest), 400, 'MANIFEST_INVALID');
      await assertStillServes();
    });

    it('handles an extra array of a million numbers', async () => {
      const json = JSON.stringify(image.json);
      const bytes = Buffer.from(`${json.slice(0, -1)},"numbers":[${new Array(1_000_000).fill('0').join(',')}]}`);
      assert.ok(bytes.length < 4 * 1024 * 1024);
      await expectHandled(await putManifest(registry.url, repository, 'numbers', bytes, mediaTypes.ociManifest), 'numbers', bytes);
    });

    it('handles 50,000 annotations', async () => {
      const annotations = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`org.example.key.${i}`, `value-${i}`]));
      const bytes = Buffer.from(JSON.stringify({ ...image.json, annotations }));
      assert.ok(bytes.length < 4 * 1024 * 1024);
      await expectHandled(await putManifest(registry.url, repository, 'annotations', bytes, mediaTypes.ociManifest), 'annotations', bytes);
    });

    it('stores a manifest listing the same present layer 12,000 times', async () => {
      // A valid manifest: every descriptor names a blob the repository holds. ~1.8 MB, well within the 4 MiB limit.
      const layer = (image.json.layers as unknown[])[0];
      const bytes = Buffer.from(JSON.stringify({ ...image.json, layers: new Array(12_000).fill(layer) }));
      assert.ok(bytes.length < 4 * 1024 * 1024);
      const response = await putManifest(registry.url, repository, 'repeated-layer', bytes, mediaTypes.ociManifest);
      assert.equal(response.status, 201, (await response.text()).slice(0, 300));
      const pulled = await getManifest(registry.url, repository, 'repeated-layer', acceptAll);
      assert.ok(Buffer.from(await pulled.arrayBuffer()).equals(bytes));
      await assertStillServes();
    });

    it('answers MANIFEST_BLOB_UNKNOWN for 37,000 distinct layers that were never pushed', async () => {
      const layers = Array.from({ length: 37_000 }, () => ({ mediaType: 'a/b', digest: randomDigest(), size: 1 }));
      const bytes = Buffer.from(JSON.stringify({ ...image.json, layers }));
      assert.ok(bytes.length < 4 * 1024 * 1024, `${bytes.length} bytes`);
      await expectError(await putManifest(registry.url, repository, 'many-missing', bytes, mediaTypes.ociManifest), 400, 'MANIFEST_BLOB_UNKNOWN');
      await assertStillServes();
    });

    it('answers MANIFEST_BLOB_UNKNOWN for an index of 37,000 children that were never pushed', async () => {
      const manifests = Array.from({ length: 37_000 }, () => ({ mediaType: 'a/b', digest: randomDigest(), size: 1 }));
      const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests }));
      assert.ok(bytes.length < 4 * 1024 * 1024, `${bytes.length} bytes`);
      await expectError(await putManifest(registry.url, repository, 'many-children', bytes, mediaTypes.ociIndex), 400, 'MANIFEST_BLOB_UNKNOWN');
      await assertStillServes();
    });

    it('handles a string of nearly 4 MiB and unusual Unicode in annotations', async () => {
      const bytes = Buffer.from(JSON.stringify({
        ...image.json,
        annotations: { long: 'z'.repeat(4 * 1024 * 1024 - 2000), unicode: '\u0000\u202e\ud83d\ude00\ufffe', escaped: '\\u0000' },
      }));
      assert.ok(bytes.length <= 4 * 1024 * 1024);
      await expectHandled(await putManifest(registry.url, repository, 'long-string', bytes, mediaTypes.ociManifest), 'long-string', bytes);
    });

    it('refuses invalid UTF-8 or a lone surrogate escape without a server error', async () => {
      const json = JSON.stringify(image.json);
      const invalidUtf8 = Buffer.concat([Buffer.from(`${json.slice(0, -1)},"annotations":{"bad":"`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}')]);
      await expectHandled(await putManifest(registry.url, repository, 'bad-utf8', invalidUtf8, mediaTypes.ociManifest), 'bad-utf8', invalidUtf8);
      const loneSurrogate = Buffer.from(`${json.slice(0, -1)},"annotations":{"bad":"\\ud800"}}`);
      await expectHandled(await putManifest(registry.url, repository, 'lone-surrogate', loneSurrogate, mediaTypes.ociManifest), 'lone-surrogate', loneSurrogate);
    });

    it('handles a JSON body with duplicate keys', async () => {
      const json = JSON.stringify(image.json);
      const bytes = Buffer.from(`{"schemaVersion":1,${json.slice(1)}`);
      // The last schemaVersion (2) wins in JSON.parse as in Go; either reading is answered, never with a server error.
      const response = await putManifest(registry.url, repository, 'duplicate-keys', bytes, mediaTypes.ociManifest);
      assert.ok([201, 400].includes(response.status), `answered ${response.status}`);
      await assertStillServes();
    });
  });

  it('referrers with a hostile artifactType filter answer an empty list', async () => {
    for (const type of ["' OR 1=1 --", '%00', 'a'.repeat(4000), '../../etc/passwd']) {
      const response = await fetch(`${registry.url}/v2/${repository}/referrers/${known.digest}?artifactType=${encodeURIComponent(type)}`);
      assert.equal(response.status, 200);
      assert.deepEqual(((await response.json()) as { manifests: unknown[] }).manifests, []);
    }
    await assertStillServes();
  });
});

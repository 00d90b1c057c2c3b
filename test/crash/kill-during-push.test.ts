import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';

/*
 * A kill -9 at any moment of a push must leave the registry consistent after a restart: the half-pushed blob or
 * manifest is absent, every image acknowledged before pulls intact, and upload leftovers are cleaned up.
 */

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface PushedImage {
  readonly repository: string;
  readonly tag: string;
  readonly manifest: Buffer;
  readonly blobs: Map<string, Buffer>;
}

async function pushBlob(url: string, repository: string, bytes: Buffer): Promise<void> {
  const response = await fetch(`${url}/v2/${repository}/blobs/uploads/?digest=${sha256(bytes)}`, { method: 'POST', body: new Uint8Array(bytes) });
  if (response.status !== 201) throw new Error(`blob push answered ${response.status}: ${await response.text()}`);
}

async function pushImage(url: string, repository: string, tag: string): Promise<PushedImage> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, tag }));
  const layer = randomBytes(4096 + Math.floor(Math.random() * 65536));
  await pushBlob(url, repository, config);
  await pushBlob(url, repository, layer);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  }));
  const response = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT', body: new Uint8Array(manifest), headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  if (response.status !== 201) throw new Error(`manifest push answered ${response.status}: ${await response.text()}`);
  return { repository, tag, manifest, blobs: new Map([[sha256(config), config], [sha256(layer), layer]]) };
}

async function assertPullsIntact(url: string, image: PushedImage): Promise<void> {
  const manifest = await fetch(`${url}/v2/${image.repository}/manifests/${image.tag}`);
  assert.equal(manifest.status, 200, `manifest ${image.repository}:${image.tag} must pull`);
  assert.deepEqual(Buffer.from(await manifest.arrayBuffer()), image.manifest);
  for (const [digest, bytes] of image.blobs) {
    const blob = await fetch(`${url}/v2/${image.repository}/blobs/${digest}`);
    assert.equal(blob.status, 200, `blob ${digest} of ${image.repository}:${image.tag} must pull`);
    assert.deepEqual(Buffer.from(await blob.arrayBuffer()), bytes);
  }
}

/** Every stored blob's bytes hash to its name: nothing partial or corrupt sits under a content address. */
function assertStoredContentIntact(dataDir: string): void {
  const root = join(dataDir, 'storage', 'blobs', 'sha256');
  if (!existsSync(root)) return;
  for (const prefix of readdirSync(root)) {
    for (const hex of readdirSync(join(root, prefix))) {
      const bytes = readFileSync(join(root, prefix, hex));
      assert.equal(sha256(bytes), `sha256:${hex}`, `stored blob ${hex} must hold exactly its content`);
    }
  }
}

function uploadFiles(dataDir: string): string[] {
  const dir = join(dataDir, 'storage', 'uploads');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Starts a request whose body is streamed slowly; resolves once the server holds some of its bytes. */
function startSlowUpload(berth: BerthProcess, method: string, path: string, total: number, headers: Record<string, string> = {}) {
  const req = request(`${berth.url}${path}`, { method, headers: { 'content-length': String(total), ...headers } });
  req.on('error', () => undefined);
  const chunk = randomBytes(256 * 1024);
  let sent = 0;
  const pump = (): void => {
    if (req.destroyed || sent + chunk.length >= total) return;
    sent += chunk.length;
    req.write(chunk, () => setTimeout(pump, 5));
  };
  pump();
  return req;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await sleep(25);
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('kill -9 during a push', { timeout: 300_000 }, () => {
  const dataDirs: string[] = [];
  after(() => { for (const dir of dataDirs) removeDataDir(dir); });

  it('loses no earlier image, shows nothing half-pushed and cleans upload leftovers', async () => {
    let berth = await startBerthProcess();
    dataDirs.push(berth.dataDir);
    const earlier = await pushImage(berth.url, 'crash/app', 'v1');

    // A monolithic upload and a chunked session, both mid-stream when the process dies.
    const bigBlob = `sha256:${'ab'.repeat(32)}`;
    const monolithic = startSlowUpload(berth, 'POST', `/v2/crash/app/blobs/uploads/?digest=${bigBlob}`, 64 * 1024 * 1024);
    const session = await fetch(`${berth.url}/v2/crash/app/blobs/uploads/`, { method: 'POST' });
    const location = session.headers.get('location')!;
    const firstChunk = randomBytes(300_000);
    const patched = await fetch(`${berth.url}${location}`, {
      method: 'PATCH', body: new Uint8Array(firstChunk),
      headers: { 'content-range': `0-${firstChunk.length - 1}`, 'content-type': 'application/octet-stream' },
    });
    assert.equal(patched.status, 202);
    const streamed = startSlowUpload(berth, 'PATCH', location, 64 * 1024 * 1024, { 'content-range': `${firstChunk.length}-${firstChunk.length + 64 * 1024 * 1024 - 1}` });
    await waitFor(() => uploadFiles(berth.dataDir).some((id) => {
      const size = statSync(join(berth.dataDir, 'storage', 'uploads', id)).size;
      return size > firstChunk.length;
    }), 'both uploads to be streaming');

    await berth.kill();
    monolithic.destroy();
    streamed.destroy();
    berth = await startBerthProcess({ dataDir: berth.dataDir });

    await assertPullsIntact(berth.url, earlier);
    assert.equal((await fetch(`${berth.url}/v2/crash/app/blobs/${bigBlob}`, { method: 'HEAD' })).status, 404);
    assertStoredContentIntact(berth.dataDir);
    // The monolithic upload had no session: its bytes are gone. The chunked session survives for the client to
    // resume; whatever part of the killed chunk reached the disk counts as received.
    const sessionId = location.split('/').at(-1)!;
    assert.deepEqual(uploadFiles(berth.dataDir), [sessionId]);

    // The client resumes the session where the registry says it stands, and completes it.
    const status = await fetch(`${berth.url}${location}`);
    assert.equal(status.status, 204);
    const held = Number(status.headers.get('range')!.split('-')[1]) + 1;
    assert.ok(held >= firstChunk.length);
    const onDisk = readFileSync(join(berth.dataDir, 'storage', 'uploads', sessionId));
    const rest = randomBytes(100_000);
    const whole = Buffer.concat([onDisk.subarray(0, held), rest]);
    const done = await fetch(`${berth.url}${location}?digest=${sha256(whole)}`, {
      method: 'PUT', body: new Uint8Array(rest),
      headers: { 'content-range': `${held}-${held + rest.length - 1}`, 'content-type': 'application/octet-stream' },
    });
    assert.equal(done.status, 201, await done.text());
    const pulled = await fetch(`${berth.url}/v2/crash/app/blobs/${sha256(whole)}`);
    assert.deepEqual(Buffer.from(await pulled.arrayBuffer()), whole);
    await berth.stop();
  });

  it('keeps every acknowledged image through repeated kills at random moments of a busy push loop', async (t) => {
    let berth = await startBerthProcess();
    dataDirs.push(berth.dataDir);
    const acknowledged: PushedImage[] = [];
    for (let round = 0; round < 5; round++) {
      let stop = false;
      const workers = [0, 1, 2].map(async (worker) => {
        for (let i = 0; !stop; i++) {
          try {
            acknowledged.push(await pushImage(berth.url, `busy/w${worker}`, `r${round}-${i}`));
          } catch {
            return; // the process died under this push: it was never acknowledged
          }
        }
      });
      // Random, so that runs kill at different moments; logged, so that a failing moment can be tried again.
      const delay = 150 + Math.floor(Math.random() * 600);
      t.diagnostic(`killing berth ${delay} ms into the pushes`);
      await sleep(delay);
      await berth.kill();
      stop = true;
      await Promise.all(workers);
      berth = await startBerthProcess({ dataDir: berth.dataDir });
      for (const image of acknowledged) await assertPullsIntact(berth.url, image);
      assertStoredContentIntact(berth.dataDir);
      assert.deepEqual(uploadFiles(berth.dataDir), [], 'no upload leftovers after restart');
    }
    assert.ok(acknowledged.length > 0);
    const tags = await (await fetch(`${berth.url}/v2/busy/w0/tags/list`)).json() as { tags: string[] };
    for (const image of acknowledged.filter((img) => img.repository === 'busy/w0')) assert.ok(tags.tags.includes(image.tag));
    await berth.stop();
  });
});

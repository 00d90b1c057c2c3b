/*
 * Two real `berth serve` processes on one PostgreSQL database and one shared blob folder, driven by skopeo: an image
 * pushed through one node pulls back byte for byte through the other; a node killed with kill -9 in the middle of a
 * push leaves nothing visible, and the same push through the surviving node succeeds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { buildUmociImage, descriptorForTag, reachableBlobs, type Descriptor } from '../support/clients/oci-layout.js';
import { getManifest, listTags } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir } from '../support/clients/run.js';
import { skopeoPull, skopeoPush } from '../support/clients/skopeo.js';
import { tool } from '../support/clients/tools.js';
import { eventually, randomBlob, uploadFiles, uploadFileSize } from '../support/registry-client.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';

const timeout = 180_000;

describe('two berth processes on PostgreSQL, driven by skopeo', { timeout }, () => {
  let server: PostgresServer;
  let databaseUrl: string;
  let shared: string;
  let work: string;
  let a: BerthProcess;
  let b: BerthProcess;
  let image: Descriptor;
  const layout = (): string => join(work, 'source');
  const start = (): Promise<BerthProcess> =>
    startBerthProcess({ dataDir: shared, env: { BERTH_DATABASE_URL: databaseUrl } });

  before(async () => {
    server = await startPostgres();
    databaseUrl = await server.createDatabase();
    shared = mkdtempSync(join(tmpdir(), 'berth-two-nodes-'));
    work = makeTempDir('two-nodes');
    [a, b] = await Promise.all([start(), start()]);
    image = await buildUmociImage(layout(), 'v1', { files: { 'hello.txt': 'pushed through one node, pulled through the other\n' } });
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(shared, { recursive: true, force: true });
    removeDir(work);
    await server?.stop();
  });

  it('pushes through one node and pulls back through the other, byte for byte', { timeout }, async () => {
    await skopeoPush(`oci:${layout()}:v1`, `docker://${a.hostPort}/two/app:v1`);
    const out = join(work, 'pulled');
    await skopeoPull(`docker://${b.hostPort}/two/app:v1`, `oci:${out}:v1`);
    assert.equal(descriptorForTag(out, 'v1').digest, image.digest);
    const expected = reachableBlobs(layout(), image.digest);
    const actual = reachableBlobs(out, image.digest);
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [digest, bytes] of expected) assert.deepEqual(actual.get(digest), bytes, `blob ${digest} is byte-identical`);
    assert.deepEqual(await listTags(b.url, 'two/app'), ['v1']);
  });

  it('survives a node killed with kill -9 mid-push: nothing half-pushed shows, the retry through the other succeeds',
    { timeout }, async () => {
      // A large random layer keeps the push going long enough to be interrupted.
      const big = await buildUmociImage(layout(), 'big', { files: { 'big.bin': randomBlob(96 * 1024 * 1024) } });
      const push = spawn(tool('skopeo'), ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false',
        `oci:${layout()}:big`, `docker://${a.hostPort}/two/app:big`], { stdio: 'ignore' });
      const pushEnded = new Promise<number | null>((resolve) => push.once('exit', (code) => resolve(code)));
      // Kill as soon as the layer's bytes have started to arrive.
      await eventually('the big layer to start arriving', () =>
        (uploadFiles(shared).some((id) => (uploadFileSize(shared, id) ?? 0) > 0) ? true : undefined), { attempts: 600, intervalMs: 20 });
      await a.kill();
      assert.notEqual(await pushEnded, 0, 'the push through the killed node failed');
      assert.equal((await getManifest(b.url, 'two/app', 'big')).status, 404, 'no manifest of the interrupted push is visible');

      await skopeoPush(`oci:${layout()}:big`, `docker://${b.hostPort}/two/app:big`);
      const out = join(work, 'big-pulled');
      await skopeoPull(`docker://${b.hostPort}/two/app:big`, `oci:${out}:big`);
      assert.equal(descriptorForTag(out, 'big').digest, big.digest);
      for (const [digest, bytes] of reachableBlobs(layout(), big.digest)) {
        assert.deepEqual(reachableBlobs(out, big.digest).get(digest), bytes, `blob ${digest} is byte-identical`);
      }
      // The killed node comes back over the same database and folder and serves what the other pushed.
      a = await start();
      assert.equal((await getManifest(a.url, 'two/app', 'big')).digest, big.digest);
      assert.deepEqual((await listTags(a.url, 'two/app')).sort(), ['big', 'v1']);
    });
});

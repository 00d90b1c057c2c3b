/*
 * The cluster set-up of README: three `berth serve` nodes over one PostgreSQL database and one S3 bucket (OpenStack
 * Swift's S3 API), each node with a data folder of its own, behind nginx balancing round-robin. Real clients go through the balancer only: skopeo and podman push and pull
 * back byte for byte; the PATCHes of a chunked upload land on different nodes; pushes of the same image at once end
 * consistent; a node killed with kill -9 mid-push leaves nothing corrupt, and the client's retry succeeds.
 * `npm run test:cluster` runs this file alone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { podmanStorageFlags } from '../support/clients/containers-storage.js';
import { buildUmociImage, descriptorForTag, reachableBlobs, type Descriptor } from '../support/clients/oci-layout.js';
import { getManifest, listTags } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir, run } from '../support/clients/run.js';
import { skopeoPull, skopeoPush } from '../support/clients/skopeo.js';
import { tool } from '../support/clients/tools.js';
import { startNginx, type Balancer } from '../support/nginx.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { startSwift, type S3Server } from '../support/swift.js';
import { completeUpload, eventually, patchChunk, pullBlob, randomBlob, sha256, startUpload } from '../support/registry-client.js';

const timeout = 300_000;

/** Requests a node logged (it runs at info level: one JSON line per request). */
function requestsOn(node: BerthProcess, method: string, pathPart: string): number {
  return node.logs.filter((line) => line.includes('"msg":"request"') && line.includes(`"method":"${method}"`) && line.includes(pathPart)).length;
}

/** Bytes a node's process has read so far from files and sockets (/proc/<pid>/io): who is receiving a push. */
function bytesRead(node: BerthProcess): number {
  try {
    return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${node.child.pid}/io`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function assertSameImage(layout: string, out: string, tag: string, image: Descriptor): void {
  assert.equal(descriptorForTag(out, tag).digest, image.digest);
  const expected = reachableBlobs(layout, image.digest);
  const actual = reachableBlobs(out, image.digest);
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [digest, bytes] of expected) assert.deepEqual(actual.get(digest), bytes, `blob ${digest} is byte-identical`);
}

describe('a cluster: three nodes on PostgreSQL and S3 behind nginx', { timeout }, () => {
  let database: PostgresServer;
  let s3: S3Server;
  let work: string;
  let nodes: BerthProcess[];
  let balancer: Balancer;
  let databaseUrl: string;
  const layout = (): string => join(work, 'layout');
  const startNode = (): Promise<BerthProcess> => startBerthProcess({
    env: {
      BERTH_DATABASE_URL: databaseUrl, BERTH_S3_ENDPOINT: s3.endpoint, BERTH_S3_BUCKET: 'berth-cluster', BERTH_S3_REGION: s3.region,
      BERTH_S3_ACCESS_KEY_ID: s3.accessKeyId, BERTH_S3_SECRET_ACCESS_KEY: s3.secretAccessKey, BERTH_S3_FORCE_PATH_STYLE: 'true',
      BERTH_S3_CREATE_BUCKET: 'true',
    },
  });
  const via = (repository: string, tag: string): string => `docker://${balancer.hostPort}/${repository}:${tag}`;

  before(async () => {
    [database, s3] = await Promise.all([startPostgres(), startSwift()]);
    databaseUrl = await database.createDatabase();
    work = makeTempDir('cluster');
    // The first node migrates the empty database; the others start together after it.
    nodes = [await startNode()];
    nodes.push(...await Promise.all([startNode(), startNode()]));
    balancer = await startNginx(nodes.map((node) => node.hostPort));
  });

  after(async () => {
    await balancer?.stop();
    await Promise.all((nodes ?? []).map(async (node) => {
      await node.stop();
      removeDataDir(node.dataDir);
    }));
    await s3?.stop();
    removeDir(work);
    await database?.stop();
  });

  it('answers /readyz through the balancer', async () => {
    const response = await fetch(`${balancer.url}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ready', checks: { metadata: 'ok', storage: 'ok' } });
    for (const node of nodes) {
      assert.ok(node.logs.some((line) => line.includes('"blobs":"s3"') && line.includes('"metadata":"postgresql"')), 'each node runs on S3 and PostgreSQL');
    }
  });

  it('takes a skopeo push through the balancer and gives it back byte for byte', { timeout }, async () => {
    const image = await buildUmociImage(layout(), 'one', { files: { 'one.txt': 'through the balancer\n', 'data.bin': randomBlob(3 * 1024 * 1024) } });
    await skopeoPush(`oci:${layout()}:one`, via('cluster/skopeo', 'v1'));
    const out = join(work, 'skopeo-out');
    await skopeoPull(via('cluster/skopeo', 'v1'), `oci:${out}:v1`);
    assertSameImage(layout(), out, 'v1', image);
    const served = nodes.filter((node) => requestsOn(node, 'HEAD', '/v2/cluster/skopeo/') + requestsOn(node, 'GET', '/v2/cluster/skopeo/') > 0);
    assert.ok(served.length >= 2, 'the balancer spread the requests over several nodes');
  });

  it('takes a podman push through the balancer and pulls it back with the same digest', { timeout }, async () => {
    // podman refuses a run root path over 50 characters.
    const flags = podmanStorageFlags(join(work, 'ps'));
    const podman = (args: readonly string[]) => run(tool('podman'), [...flags, ...args]);
    const context = join(work, 'podman-context');
    mkdirSync(context, { recursive: true });
    writeFileSync(join(context, 'hello.txt'), 'built by podman, pushed through nginx\n');
    writeFileSync(join(context, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    await podman(['build', '--quiet', '--tag', 'localhost/cluster/podman:1', context]);
    const digestFile = join(work, 'podman.digest');
    const remote = `${balancer.hostPort}/cluster/podman:1`;
    await podman(['push', '--tls-verify=false', '--digestfile', digestFile, 'localhost/cluster/podman:1', remote]);
    const pushed = readFileSync(digestFile, 'utf8').trim();
    await podman(['rmi', '--all', '--force']);
    await podman(['pull', '--quiet', '--tls-verify=false', remote]);
    const pulled = JSON.parse((await podman(['image', 'inspect', remote])).stdout) as { Digest: string }[];
    assert.equal(pulled[0]?.Digest, pushed);
    for (const node of nodes) assert.equal((await getManifest(node.url, 'cluster/podman', '1')).digest, pushed, `node ${node.port} serves it`);
  });

  it('completes a chunked upload whose PATCHes the balancer spreads over the nodes', { timeout }, async () => {
    const bytes = randomBlob(6 * 1024 * 1024 + 123);
    const session = await startUpload(balancer.url, 'cluster/chunked');
    let location = session.location;
    const chunk = 1024 * 1024;
    for (let offset = 0; offset < bytes.length; offset += chunk) {
      const part = bytes.subarray(offset, Math.min(offset + chunk, bytes.length));
      const response = await patchChunk(new URL(location, balancer.url).href, part, { range: `${offset}-${offset + part.length - 1}` });
      assert.equal(response.status, 202, await response.text());
      location = response.headers.get('location')!;
    }
    const done = await completeUpload(new URL(location, balancer.url).href, sha256(bytes));
    assert.equal(done.status, 201, await done.text());
    const patched = nodes.filter((node) => requestsOn(node, 'PATCH', '/v2/cluster/chunked/') > 0);
    assert.ok(patched.length >= 2, `PATCHes reached ${patched.length} node(s)`);
    assert.deepEqual(await pullBlob(balancer.url, 'cluster/chunked', sha256(bytes)), bytes);
  });

  it('ends consistent when four clients push the same image at once through the balancer', { timeout }, async () => {
    const image = await buildUmociImage(layout(), 'same', { files: { 'same.bin': randomBlob(2 * 1024 * 1024) } });
    await Promise.all([1, 2, 3, 4].map(() => skopeoPush(`oci:${layout()}:same`, via('cluster/race', 'v1'))));
    for (const node of nodes) {
      assert.equal((await getManifest(node.url, 'cluster/race', 'v1')).digest, image.digest, `node ${node.port} agrees`);
    }
    const out = join(work, 'race-out');
    await skopeoPull(via('cluster/race', 'v1'), `oci:${out}:v1`);
    assertSameImage(layout(), out, 'v1', image);
  });

  it('survives a node killed with kill -9 mid-push: the retry through the balancer succeeds, nothing is corrupt', { timeout }, async () => {
    const image = await buildUmociImage(layout(), 'big', { files: { 'big.bin': randomBlob(96 * 1024 * 1024) } });
    const before = nodes.map(bytesRead);
    const push = spawn(tool('skopeo'), ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false',
      `oci:${layout()}:big`, via('cluster/crash', 'v1')], { stdio: 'ignore' });
    const pushEnded = new Promise<number | null>((resolve) => push.once('exit', (code) => resolve(code)));
    // Kill the node receiving the big layer as soon as its bytes flow in.
    const victim = await eventually('a node to be receiving the big layer',
      () => nodes.find((node, index) => bytesRead(node) - before[index]! > 8 * 1024 * 1024), { attempts: 1000, intervalMs: 10 });
    await victim.kill();
    const code = await pushEnded;
    // Whatever happened to that push, nothing of it may be visible unless complete.
    const status = (await getManifest(balancer.url, 'cluster/crash', 'v1')).status;
    if (code !== 0) assert.equal(status, 404, 'no manifest of the failed push is visible');

    // The client retries through the balancer, which has taken the dead node out.
    await skopeoPush(`oci:${layout()}:big`, via('cluster/crash', 'v1'));
    const out = join(work, 'crash-out');
    await skopeoPull(via('cluster/crash', 'v1'), `oci:${out}:v1`);
    assertSameImage(layout(), out, 'v1', image);
    assert.deepEqual(await listTags(balancer.url, 'cluster/crash'), ['v1']);

    // The killed node comes back over the same database and bucket and serves the image.
    const index = nodes.indexOf(victim);
    nodes[index] = await startNode();
    assert.equal((await getManifest(nodes[index]!.url, 'cluster/crash', 'v1')).digest, image.digest);
  });
});

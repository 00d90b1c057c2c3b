/**
 * Hostile layers, scanned by a real Berth: a gzip bomb, a tar entry declaring a terabyte, a 100 GiB sparse file, a
 * 100 MiB dpkg `status`, names that climb out of the root or start at `/`, symbolic and hard links that loop, a
 * `package.json`, METADATA and jar that are junk, and a layer whose stored bytes no longer match its digest. Each scan
 * ends: failed with a reason naming the layer and what was wrong, or done with the files it skipped named in the
 * report. Nothing is written outside the server's data folder, memory stays within a generous bound, and a good
 * image pushed after them all is scanned as if they had never been.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import tarStream from 'tar-stream';
import { adminPassword, startApiBerth, type ApiBerth } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import {
  expectedFindings, feedFolder, findingLines, ImageTrees, imageTypes, layerOf, pushManifest, pushTreeImage, reportWhen, scanFixtures, sha256,
  type RegistryTarget, type VulnerabilityReport,
} from '../support/scanning.js';

const GiB = 1024 ** 3;
const MiB = 1024 * 1024;
/** The cap the server is given: the bomb inflates to ten times it. */
const maxUncompressedBytes = GiB;
const gzip = promisify(zlib.gzip);

const alpine = expectedFindings<{ findings: { id: string; package: string; installed: string; fixed: string | null }[] }>('alpine-3.20.3');
const alpineLines = alpine.findings.map((finding) => `${finding.id} ${finding.package} ${finding.installed} ${finding.fixed}`).sort();
const apkInstalled = readFileSync(join(scanFixtures, 'inventory/alpine/3.20.3/lib/apk/db/installed'));
const alpineOsRelease = readFileSync(join(scanFixtures, 'inventory/alpine/3.20.3/etc/os-release'));

type TarEntry = { name: string; content?: Buffer | string; type?: 'symlink' | 'link' | 'directory'; linkname?: string };

/** A tar archive of `entries` exactly as given (names and links included), as a stranger may write it. */
async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const entry of entries) {
    const content = Buffer.from(entry.content ?? '');
    pack.entry({ name: entry.name, type: entry.type ?? 'file', linkname: entry.linkname, mode: 0o644, size: content.length }, content);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The 512-byte header of a regular file `name` that declares `size` bytes (base-256 past 8 GiB, as GNU tar writes). */
async function headerDeclaring(name: string, size: number): Promise<Buffer> {
  const header = Buffer.from((await tarOf([{ name, content: '' }])).subarray(0, 512));
  header.fill(0, 124, 136);
  header[124] = 0x80;
  for (let at = 135, rest = size; rest > 0; at--, rest = Math.floor(rest / 256)) header[at] = rest % 256;
  header.fill(0x20, 148, 156);
  const sum = header.reduce((total, byte) => total + byte, 0);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

/**
 * A gzip bomb: a tar whose one file declares 10 GiB of zeros, written as gzip members (gunzip reads concatenated
 * members as one stream) so that it is made from one 16 MiB block compressed once: about 10 MiB in all.
 */
async function gzipBomb(): Promise<Buffer> {
  const block = await gzip(Buffer.alloc(16 * MiB), { level: 9 });
  const blocks = (10 * GiB) / (16 * MiB);
  return Buffer.concat([await gzip(await headerDeclaring('data/zeros.bin', 10 * GiB)), ...Array<Buffer>(blocks).fill(block), await gzip(Buffer.alloc(1024))]);
}

/** A dpkg `status` of `bytes` bytes: the same installed stanza, numbered, over and over (gzip makes it small). */
async function hugeStatusLayer(bytes: number): Promise<Buffer> {
  const stanzas: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const stanza = `Package: filler-${i}\nStatus: install ok installed\nVersion: 1.0-${i}\nArchitecture: amd64\nDescription: filler\n\n`;
    stanzas.push(stanza);
    length += stanza.length;
  }
  const status = Buffer.from(stanzas.join('')).subarray(0, bytes);
  return gzip(await tarOf([
    { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
    { name: 'var/lib/dpkg/status', content: status },
    { name: 'usr/lib/node_modules/semver/package.json', content: '{"name":"semver","version":"7.5.1"}' },
  ]), { level: 1 });
}

/** Samples this process's resident memory (the server runs in it) until stopped; answers the peak. */
function sampleMemory(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

const ended = (report: VulnerabilityReport) => report.status === 'done' || report.status === 'failed';
const layerNamed = (digest: string) => new RegExp(`\\(layer 1 of 1, ${digest}\\)$`);

describe('scanning hostile layers', { timeout: 600_000 }, () => {
  let feed: ReturnType<typeof feedFolder>;
  let api: ApiBerth;
  let target: RegistryTarget;
  const trees = new ImageTrees();
  /** Where names climbing out of the root would land if the scanner extracted anything: it never does. */
  const escapeMark = `berth-hostile-${randomBytes(6).toString('hex')}`;
  /** The digest of each hostile image's one layer, by image name. */
  const layerDigests = new Map<string, string>();
  let baseline: number;
  let memory: { stop(): number };

  before(async () => {
    feed = feedFolder({ Alpine: 'alpine', npm: 'npm' });
    api = await startApiBerth({ scanning: { feed: feed.path, maxUncompressedBytes } });
    target = { url: api.registry.url, authorization: basic('admin', adminPassword) };
    const goodRoot = trees.tree({ '.': 'inventory/alpine/3.20.3' }, { 'etc/motd': 'good\n' });
    const sparseRoot = trees.tree({ '.': 'inventory/alpine/3.20.3' });
    execFileSync('truncate', ['-s', '100G', join(sparseRoot, 'var-huge.img')]);
    const layers: Record<string, Buffer> = {
      bomb: await gzipBomb(),
      declared: await gzip(Buffer.concat([await headerDeclaring('var/lib/dpkg/status', 1024 * GiB), Buffer.from('Package: x\n'.padEnd(512, '\0'))])),
      sparse: execFileSync('tar', ['--sparse', '--format=gnu', '--sort=name', '--owner=0', '--group=0', '-C', sparseRoot, '-czf', '-', '.'], { maxBuffer: 64 * MiB }),
      status: await hugeStatusLayer(100 * MiB),
      names: await gzip(await tarOf([
        { name: '/etc/os-release', content: alpineOsRelease },
        { name: '/lib/apk/db/installed', content: apkInstalled },
        { name: `../../../../../../../../../../tmp/${escapeMark}/escaped`, content: 'out\n' },
        { name: `/tmp/${escapeMark}/absolute`, content: 'rooted\n' },
        { name: `usr/../../tmp/${escapeMark}/climbed`, content: 'out\n' },
      ])),
      symlinks: await gzip(await tarOf([
        { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
        { name: 'usr/lib/os-release', type: 'symlink', linkname: '/etc/os-release' },
        { name: 'lib', type: 'symlink', linkname: 'lib' },
        { name: 'usr/lib/apk/db/installed', content: apkInstalled },
      ])),
      hardlinks: await gzip(await tarOf([
        { name: 'etc/os-release', type: 'link', linkname: 'etc/alpine-release' },
        { name: 'etc/alpine-release', type: 'link', linkname: 'etc/os-release' },
        { name: 'lib/apk/db/installed', type: 'link', linkname: 'lib/apk/db/installed' },
        { name: 'usr/lib/node_modules/semver/package.json', content: '{"name":"semver","version":"7.5.1"}' },
      ])),
      junk: await gzip(await tarOf([
        { name: 'usr/src/app/node_modules/broken/package.json', content: '{"name": "broken", "version": ' },
        { name: 'usr/src/app/node_modules/semver/package.json', content: '{"name":"semver","version":"7.5.1"}' },
        { name: 'usr/lib/python3/site-packages/junk-1.0.dist-info/METADATA', content: randomBytes(2048) },
        { name: 'opt/app/lib/junk.jar', content: randomBytes(4096) },
      ])),
    };
    // Built before the baseline: what the test itself holds is not the scanner's.
    baseline = process.memoryUsage().rss;
    memory = sampleMemory();
    for (const [name, layer] of Object.entries(layers)) {
      await pushTreeImage(target, `hostile/${name}`, '1', [layer]);
      layerDigests.set(name, sha256(layer));
    }
    layerDigests.set('swapped', await pushSwappedLayer());
    // Queued after every hostile image: the job runner takes one job at a time, so it is scanned after them all.
    await pushTreeImage(target, 'good/alpine', '1', [goodRoot]);
  });

  /**
   * An Alpine image whose layer, once stored, is replaced on disk by another valid layer (Alpine with one more file):
   * the blob is pushed, changed in the blob store, and only then is the manifest pushed, so the scan reads the change.
   * Answers the layer's digest.
   */
  async function pushSwappedLayer(): Promise<string> {
    const layer = layerOf(trees.tree({ '.': 'inventory/alpine/3.20.3' }, { 'etc/motd': 'pushed\n' }));
    const other = layerOf(trees.tree({ '.': 'inventory/alpine/3.20.3' }, { 'etc/motd': 'changed on disk\n' }));
    const upload = await fetch(`${target.url}/v2/hostile/swapped/blobs/uploads/?digest=${sha256(layer)}`, {
      method: 'POST', body: new Uint8Array(layer), headers: { 'content-type': 'application/octet-stream', authorization: target.authorization! },
    });
    assert.equal(upload.status, 201, await upload.text());
    const hex = sha256(layer).slice('sha256:'.length);
    const stored = join(api.registry.dataDir, 'storage', 'blobs', 'sha256', hex.slice(0, 2), hex);
    assert.ok(existsSync(stored), `the filesystem store keeps the layer at ${stored}`);
    writeFileSync(stored, other);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    await pushManifest(target, 'hostile/swapped', '1', {
      schemaVersion: 2, mediaType: imageTypes.manifest,
      config: { mediaType: imageTypes.config, digest: sha256(config), size: config.length },
      layers: [{ mediaType: imageTypes.layer, digest: sha256(layer), size: layer.length }],
    }, [config]);
    return sha256(layer);
  }

  after(async () => {
    memory?.stop();
    await api?.close();
    feed?.remove();
    trees.remove();
  });

  const report = (name: string) => reportWhen(api.admin, `hostile/${name}`, '1', ended);

  it('stops a gzip bomb at scanning.maxUncompressedBytes, naming the limit, its setting and the layer', async () => {
    const bomb = await report('bomb');
    assert.equal(bomb.status, 'failed');
    const reason = bomb.platforms[0]!.reason ?? '';
    assert.match(reason, new RegExp(`^the image's layers inflate past ${maxUncompressedBytes} bytes, the limit scanning\\.maxUncompressedBytes \\(BERTH_SCAN_MAX_UNCOMPRESSED_BYTES\\) sets`));
    assert.match(reason, layerNamed(layerDigests.get('bomb')!));
  });

  it('fails a layer whose one entry declares a terabyte it does not hold, as a truncated archive', async () => {
    const declared = await report('declared');
    assert.equal(declared.status, 'failed');
    assert.match(declared.platforms[0]!.reason ?? '', /^not a readable tar archive: .*end of data/i);
    assert.match(declared.platforms[0]!.reason ?? '', layerNamed(layerDigests.get('declared')!));
  });

  it('reads past a 100 GiB sparse file without inflating it, and finds the image\'s packages', async () => {
    const sparse = await report('sparse');
    assert.equal(sparse.status, 'done', sparse.platforms[0]!.reason);
    assert.deepEqual(findingLines(sparse), alpineLines);
    assert.equal(sparse.platforms[0]!.reason, undefined, 'nothing was skipped');
  });

  it('skips a 100 MiB dpkg status and names it, and still reads the rest of the image', async () => {
    const status = await report('status');
    assert.equal(status.status, 'done', status.platforms[0]!.reason);
    assert.equal(status.platforms[0]!.distro?.ecosystem, 'Debian:12');
    assert.equal(status.platforms[0]!.packages, 1, 'the npm package beside it');
    assert.match(status.platforms[0]!.reason ?? '', new RegExp(`var/lib/dpkg/status: ${100 * MiB} bytes, more than the ${64 * MiB} read from a dpkg database`));
  });

  it('reads absolute names inside the image\'s root, refuses names that climb out of it, and writes nothing anywhere', async () => {
    const names = await report('names');
    assert.equal(names.status, 'done', names.platforms[0]!.reason);
    assert.equal(names.platforms[0]!.distro?.ecosystem, 'Alpine:v3.20', '/etc/os-release is the image\'s etc/os-release');
    assert.deepEqual(findingLines(names), alpineLines, '/lib/apk/db/installed is the image\'s apk database');
    const reason = names.platforms[0]!.reason ?? '';
    assert.match(reason, /^2 files were skipped/);
    assert.ok(reason.includes(`../../../../../../../../../../tmp/${escapeMark}/escaped (a tar entry of layer 1): its name climbs out of the image's root`), reason);
    assert.ok(reason.includes(`usr/../../tmp/${escapeMark}/climbed (a tar entry of layer 1): its name climbs out of the image's root`), reason);
    for (const place of ['/tmp', api.registry.dataDir, process.cwd()]) {
      assert.ok(!existsSync(join(place, escapeMark)), `nothing was written to ${join(place, escapeMark)}`);
    }
  });

  it('ends symbolic-link loops, naming the files it could not reach through them', async () => {
    const symlinks = await report('symlinks');
    assert.equal(symlinks.status, 'done', symlinks.platforms[0]!.reason);
    const reason = symlinks.platforms[0]!.reason ?? '';
    for (const path of ['etc/os-release', 'usr/lib/os-release', 'lib/apk/db/installed']) {
      assert.ok(reason.includes(`${path}: its links loop (more than 40 followed)`), reason);
    }
    assert.equal(symlinks.platforms[0]!.distro, undefined);
  });

  it('ends hard-link loops, naming the files it could not reach through them', async () => {
    const hardlinks = await report('hardlinks');
    assert.equal(hardlinks.status, 'done', hardlinks.platforms[0]!.reason);
    const reason = hardlinks.platforms[0]!.reason ?? '';
    for (const path of ['etc/os-release', 'lib/apk/db/installed']) assert.ok(reason.includes(`${path}: its links loop`), reason);
    assert.equal(hardlinks.platforms[0]!.packages, 1, 'the npm package beside them');
  });

  it('skips a package.json, a METADATA and a jar that are junk, naming each and why, and reads the rest', async () => {
    const junk = await report('junk');
    assert.equal(junk.status, 'done', junk.platforms[0]!.reason);
    assert.equal(junk.platforms[0]!.packages, 1, 'semver, beside the junk');
    assert.ok(junk.vulnerabilities.some((found) => found.package === 'semver'), 'semver 7.5.1 is matched as usual');
    const reason = junk.platforms[0]!.reason ?? '';
    assert.match(reason, /^3 files were skipped/);
    assert.match(reason, /usr\/src\/app\/node_modules\/broken\/package\.json: not valid JSON/);
    assert.match(reason, /usr\/lib\/python3\/site-packages\/junk-1\.0\.dist-info\/METADATA: no Name and Version headers/);
    assert.match(reason, /opt\/app\/lib\/junk\.jar: not a readable zip archive/);
  });

  it('fails an image whose stored layer no longer matches its digest, naming both', async () => {
    const swapped = await report('swapped');
    assert.equal(swapped.status, 'failed');
    const reason = swapped.platforms[0]!.reason ?? '';
    assert.match(reason, /^its bytes do not match its digest: they hash to sha256:[0-9a-f]{64}, so the stored blob was damaged or changed after it was pushed/);
    assert.match(reason, layerNamed(layerDigests.get('swapped')!));
    assert.deepEqual(swapped.vulnerabilities, []);
  });

  it('scans the good image pushed after them all, within a bounded memory', async () => {
    const good = await reportWhen(api.admin, 'good/alpine', '1', ended);
    assert.equal(good.status, 'done', good.platforms[0]!.reason);
    assert.deepEqual(findingLines(good), alpineLines);
    // The bomb inflated a gibibyte before it was stopped, the status file 100 MiB: none of it was held at once.
    const grew = memory.stop() - baseline;
    assert.ok(grew < 384 * MiB, `resident memory grew by ${Math.round(grew / MiB)} MiB while the images were pushed and scanned`);
  });
});

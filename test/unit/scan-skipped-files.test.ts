/**
 * What a scan could not read, and says so: tar entries the walker refuses, files the collector skips (past their
 * size cap, junk, behind a loop of links), the note the report carries, the cap on bytes inflated, and the digest
 * check of each layer as it streams.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { readImageInventory, skippedNote } from '../../src/features/scanning/image-inventory.js';
import { InventoryCollector } from '../../src/scanning/inventory/inventory-collector.js';
import { readJavaArchive } from '../../src/scanning/inventory/java-archives.js';
import { readNpmPackageJson } from '../../src/scanning/inventory/npm-packages.js';
import { readPythonMetadata } from '../../src/scanning/inventory/python-metadata.js';
import { LayerDigestError, LayerError, LayerLimitError } from '../../src/scanning/layers/layer-errors.js';
import { walkMergedLayers } from '../../src/scanning/layers/merged-walker.js';
import type { SkippedFile } from '../../src/scanning/model.js';
import { LayerWorkspace, mediaTypes, RecordingSink } from '../support/layer-tars.js';

const workspace = new LayerWorkspace();
after(() => workspace.remove());

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const MiB = 1024 * 1024;

describe('the walker names what it refuses and caps what it inflates', { timeout: 30_000 }, () => {
  it('names the entries whose names climb out of the root', async () => {
    const layer = workspace.layer(workspace.tree({ a: 'a\n', b: 'b\n' }), {
      members: ['a', 'b'], tarArgs: ['-P', '--transform=s,^a$,../../etc/passwd,', '--transform=s,^b$,/etc/hosts,'],
    });
    const summary = await walkMergedLayers([workspace.source(layer, mediaTypes.tar)], new RecordingSink());
    assert.deepEqual(summary.rejected, [{ layer: 0, name: '../../etc/passwd', reason: 'its name climbs out of the image\'s root' }]);
  });

  it('stops at maxUncompressedBytes, counting every layer', async () => {
    const big = workspace.layer(workspace.tree({ 'zeros.bin': '\0'.repeat(3 * MiB) }), { compression: 'gzip' });
    const sources = [workspace.source(big, mediaTypes.gzip), workspace.source(big, mediaTypes.gzip)];
    await walkMergedLayers(sources, new RecordingSink(), { maxUncompressedBytes: 8 * MiB });
    await assert.rejects(walkMergedLayers(sources, new RecordingSink(), { maxUncompressedBytes: 5 * MiB }), (error: unknown) => {
      assert.ok(error instanceof LayerLimitError);
      assert.equal(error.limit, 'maxUncompressedBytes');
      assert.equal(error.value, 5 * MiB);
      assert.equal(error.layer, 0, 'the top layer read 3 MiB, the bottom one passed the cap');
      return true;
    });
    await workspace.assertAllClosed();
  });

  it('checks each layer against its digest as it streams', async () => {
    const file = workspace.layer(workspace.tree({ 'etc/os-release': 'ID=alpine\n' }), { compression: 'gzip' });
    const bytes = readFileSync(file);
    const right = { ...workspace.source(file, mediaTypes.gzip), digest: sha256(bytes) };
    const sink = new RecordingSink();
    await walkMergedLayers([right], sink);
    assert.deepEqual([...sink.files.keys()], ['etc/os-release']);
    const wrong = { ...workspace.source(file, mediaTypes.gzip), digest: sha256(Buffer.from('other bytes')) };
    await assert.rejects(walkMergedLayers([wrong], new RecordingSink()), (error: unknown) => {
      assert.ok(error instanceof LayerDigestError, String(error));
      assert.equal(error.layer, 0);
      assert.equal(error.actual, sha256(bytes));
      assert.equal(error.expected, sha256(Buffer.from('other bytes')));
      return true;
    });
    await workspace.assertAllClosed();
  });
});

describe('the collector names what it skips', () => {
  const skippedBy = (build: (collector: InventoryCollector) => void): SkippedFile[] => {
    const collector = new InventoryCollector();
    build(collector);
    return collector.finish().skipped ?? [];
  };

  it('names a database past its size cap, not an oversized shared library', () => {
    const skipped = skippedBy((collector) => {
      assert.equal(collector.wants('var/lib/dpkg/status', 100 * MiB, 0o644), false);
      // Large executables are read in part (their head and the window Go's build info would be in), not skipped.
      assert.equal(typeof collector.wants('usr/bin/large', 300 * MiB, 0o755), 'object');
      assert.equal(collector.wants('usr/lib/libtorch_cuda.so.2.1', 20 * 1024 * MiB, 0o755), false);
      assert.equal(collector.wants('usr/bin/huge', 20 * 1024 * MiB, 0o755), false);
    });
    assert.deepEqual(skipped, [
      { path: 'var/lib/dpkg/status', reason: `${100 * MiB} bytes, more than the ${64 * MiB} read from a dpkg database` },
      { path: 'usr/bin/huge', reason: `${20 * 1024 * MiB} bytes, more than the ${16 * 1024 * MiB} read from an executable searched for Go build info` },
    ]);
  });

  it('names junk manifests and archives with why, and keeps what is good', () => {
    const collector = new InventoryCollector();
    const offer = (path: string, bytes: Buffer) => {
      assert.ok(collector.wants(path, bytes.length, 0o644), path);
      collector.take(path, bytes);
    };
    offer('app/node_modules/a/package.json', Buffer.from('{"name":'));
    offer('app/node_modules/b/package.json', Buffer.from('[1]'));
    offer('app/node_modules/c/package.json', Buffer.from('{"name":"c","version":"1.0.0"}'));
    offer('lib/site-packages/x-1.dist-info/METADATA', Buffer.from('Summary: no name\n'));
    offer('opt/junk.jar', randomBytes(100));
    offer('opt/fat.jar', Buffer.from(zipSync({ 'BOOT-INF/lib/inner.jar': randomBytes(64) })));
    const inventory = collector.finish();
    assert.deepEqual(inventory.packages.map((pkg) => `${pkg.name}@${pkg.version}`), ['c@1.0.0']);
    assert.deepEqual(inventory.skipped?.map((file) => `${file.path}: ${file.reason.replace(/ \(.*\)$/, '')}`), [
      'app/node_modules/a/package.json: not valid JSON',
      'app/node_modules/b/package.json: not a JSON object',
      'lib/site-packages/x-1.dist-info/METADATA: no Name and Version headers',
      'opt/junk.jar: not a readable zip archive',
      'opt/fat.jar!/BOOT-INF/lib/inner.jar: not a readable zip archive',
    ]);
  });

  it('names the release files and databases behind loops of links', () => {
    const skipped = skippedBy((collector) => {
      collector.link('etc/os-release', '../usr/lib/os-release', false);
      collector.link('usr/lib/os-release', '/etc/os-release', false);
      collector.link('var/lib/dpkg/status', 'var/lib/dpkg/status', true);
    });
    assert.deepEqual(skipped.map((file) => file.path), ['etc/os-release', 'usr/lib/os-release', 'var/lib/dpkg/status']);
    assert.ok(skipped.every((file) => file.reason === 'its links loop (more than 40 followed)'));
  });

  it('says why a manifest names no package', () => {
    assert.match(readNpmPackageJson('{"name":"a b","version":"1"}', 'p') as string, /name/);
    assert.match(readNpmPackageJson('{"name":"a","version":"1 2"}', 'p') as string, /version/);
    assert.match(readPythonMetadata('Name: ok\nVersion: not a version\n', 'p') as string, /Version/);
    const problems: SkippedFile[] = [];
    assert.deepEqual(readJavaArchive(zipSync({ 'a.txt': new Uint8Array(4) }), 'plain.jar', undefined, problems), []);
    assert.deepEqual(problems, [], 'a jar without pom.properties is no problem');
  });
});

describe('the report\'s note and the image inventory', { timeout: 30_000 }, () => {
  it('says nothing when nothing was skipped, names ten files and counts the rest', () => {
    assert.equal(skippedNote(undefined), undefined);
    assert.equal(skippedNote([]), undefined);
    assert.equal(skippedNote([{ path: 'a', reason: 'why' }]), 'one file was skipped, so packages they hold are not in the inventory: a: why');
    const many = Array.from({ length: 12 }, (_, i) => ({ path: `f${i}`, reason: 'r' }));
    assert.match(skippedNote(many)!, /^12 files were skipped, .*: f0: r; .*f9: r; and 2 more$/);
  });

  it('lists refused entries before skipped files, and names the layer by digest when the walk fails', async () => {
    const good = readFileSync(workspace.layer(workspace.tree({ x: 'x\n', 'app/node_modules/a/package.json': '{' }), {
      members: ['x', 'app/node_modules/a/package.json'], tarArgs: ['-P', '--transform=s,^x$,../x,'],
    }));
    const read = async (layer: Buffer, digest = sha256(layer)) => readImageInventory([{ mediaType: mediaTypes.tar, digest, size: layer.length }],
      async () => (await import('node:stream')).Readable.from([layer]));
    const { inventory } = await read(good);
    assert.deepEqual(inventory.skipped?.map((file) => file.path), ['../x (a tar entry of layer 1)', 'app/node_modules/a/package.json']);
    const wrongDigest = sha256(Buffer.from('another layer'));
    await assert.rejects(read(good, wrongDigest), (error: unknown) => {
      assert.ok(error instanceof LayerError && error.layer === undefined);
      assert.match(error.message, new RegExp(`^its bytes do not match its digest: they hash to ${sha256(good)}, .* \\(layer 1 of 1, ${wrongDigest}\\)$`));
      return true;
    });
  });
});

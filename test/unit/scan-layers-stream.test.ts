import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { UnsupportedLayerError } from '../../src/scanning/layers/layer-errors.js';
import { layerCompression, openLayerTar, sniffCompression } from '../../src/scanning/layers/layer-stream.js';
import { hasTool, LayerWorkspace, mediaTypes } from '../support/layer-tars.js';

/** The reason to skip a test whose compressor is not installed (scripts/install-test-deps.sh should install it). */
const missing = (...tools: string[]): string | false => {
  const absent = tools.filter((tool) => !hasTool(tool));
  return absent.length > 0 && `not installed: ${absent.join(', ')}`;
};
const noZstd = missing('zstd');
const workspace = new LayerWorkspace();
const tree = workspace.tree({ 'etc/os-release': 'ID=alpine\nVERSION_ID=3.20.3\n', 'lib/apk/db/installed': 'P:musl\nV:1.2.5-r0\n\n' });
const plain = workspace.layer(tree);
const plainBytes = readFileSync(plain);
after(() => workspace.remove());

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function tarOf(file: string, mediaType: string): Promise<Buffer> {
  return readAll(await openLayerTar(mediaType, createReadStream(file)));
}

/** Runs a compressor over `input` (its standard input), as an image builder piping a tar would. */
function compress(command: string, args: string[], input: Buffer): Buffer {
  return execFileSync(command, args, { input, maxBuffer: 64 * 1024 * 1024 });
}

describe('layer media types', () => {
  it('knows the OCI, nondistributable and Docker layer types and their compression', () => {
    assert.equal(layerCompression('application/vnd.oci.image.layer.v1.tar'), 'none');
    assert.equal(layerCompression('application/vnd.oci.image.layer.v1.tar+gzip'), 'gzip');
    assert.equal(layerCompression('application/vnd.oci.image.layer.v1.tar+zstd'), 'zstd');
    assert.equal(layerCompression('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip'), 'gzip');
    assert.equal(layerCompression('application/vnd.oci.image.layer.nondistributable.v1.tar+zstd'), 'zstd');
    assert.equal(layerCompression('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'gzip');
    assert.equal(layerCompression('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'), 'gzip');
    assert.equal(layerCompression('Application/VND.OCI.Image.Layer.v1.tar+GZIP; charset=binary'), 'gzip', 'case and parameters do not matter');
  });

  it('refuses anything else with a message that names the type', () => {
    for (const mediaType of ['application/vnd.oci.image.config.v1+json', 'application/vnd.oci.image.layer.v1.tar+bzip2', 'text/plain', '']) {
      assert.throws(() => layerCompression(mediaType), (error: unknown) => error instanceof UnsupportedLayerError
        && error.mediaType === mediaType && error.message.includes(`"${mediaType}"`) && error.message.includes('application/vnd.oci.image.layer.v1.tar'));
    }
    assert.throws(() => layerCompression('application/vnd.oci.image.layer.v1.tar+gzip+encrypted'), /encrypted/);
  });
});

describe('sniffing compression from the bytes', () => {
  it('tells tar, gzip, zstd, bzip2 and xz apart as their own tools write them', { skip: missing('zstd', 'bzip2', 'xz') }, () => {
    assert.equal(sniffCompression(plainBytes), 'none');
    assert.equal(sniffCompression(compress('gzip', ['-c'], plainBytes)), 'gzip');
    assert.equal(sniffCompression(compress('zstd', ['-c'], plainBytes)), 'zstd');
    assert.equal(sniffCompression(compress('bzip2', ['-c'], plainBytes)), 'bzip2');
    assert.equal(sniffCompression(compress('xz', ['-c'], plainBytes)), 'xz');
  });

  it('believes a tar header over a magic number at the start of its first name', () => {
    const layer = readFileSync(workspace.layer(workspace.tree({ BZh91AY: 'not bzip2\n' }), { format: 'ustar', members: ['BZh91AY'] }));
    assert.equal(layer.subarray(0, 3).toString(), 'BZh');
    assert.equal(sniffCompression(layer), 'none');
  });

  it('calls a blob too short to tell anything plain tar', () => {
    assert.equal(sniffCompression(Buffer.alloc(0)), 'none');
    assert.equal(sniffCompression(Buffer.from([0x1f])), 'none');
  });
});

describe('opening a layer as tar bytes', { timeout: 60_000 }, () => {
  it('passes a plain tar through unchanged', async () => {
    assert.deepEqual(await tarOf(plain, mediaTypes.tar), plainBytes);
  });

  it('gunzips gzip layers, also when labelled as plain tar', async () => {
    const gzipped = workspace.bytes(compress('gzip', ['-c'], plainBytes));
    assert.deepEqual(await tarOf(gzipped, mediaTypes.gzip), plainBytes);
    assert.deepEqual(await tarOf(gzipped, mediaTypes.tar), plainBytes);
    assert.deepEqual(await tarOf(gzipped, mediaTypes.dockerGzip), plainBytes);
  });

  it('reads a plain tar labelled as gzip', async () => {
    assert.deepEqual(await tarOf(plain, mediaTypes.gzip), plainBytes);
  });

  it('decompresses zstd layers, also when labelled as tar or gzip', { skip: noZstd }, async () => {
    const compressed = workspace.bytes(compress('zstd', ['-c'], plainBytes));
    for (const mediaType of [mediaTypes.zstd, mediaTypes.tar, mediaTypes.gzip]) assert.deepEqual(await tarOf(compressed, mediaType), plainBytes);
  });

  it('decompresses several zstd frames and skips skippable ones', { skip: noZstd }, async () => {
    const skippable = Buffer.concat([Buffer.from([0x5e, 0x2a, 0x4d, 0x18, 5, 0, 0, 0]), Buffer.from('notes')]);
    const half = plainBytes.length / 2;
    const frames = Buffer.concat([skippable, compress('zstd', ['-c', '-19'], plainBytes.subarray(0, half)), skippable,
      compress('zstd', ['-c', '--no-check'], plainBytes.subarray(half))]);
    assert.deepEqual(await tarOf(workspace.bytes(frames), mediaTypes.zstd), plainBytes);
  });

  it('decompresses a large zstd layer whose blocks arrive split across chunks', { skip: noZstd }, async () => {
    const big = workspace.layer(workspace.tree({ 'random.bin': randomBytes(3_000_000).toString('base64') }));
    const compressed = compress('zstd', ['-c', '-3'], readFileSync(big));
    const stream = await openLayerTar(mediaTypes.zstd, createReadStream(workspace.bytes(compressed), { highWaterMark: 1000 }));
    assert.deepEqual(await readAll(stream), readFileSync(big));
  });

  it('refuses a zstd window larger than zstd itself accepts by default', { skip: noZstd }, async () => {
    const wide = compress('zstd', ['-c', '--long=28'], plainBytes);
    const stream = await openLayerTar(mediaTypes.zstd, createReadStream(workspace.bytes(wide)));
    await assert.rejects(readAll(stream), /window|memory|limit/i);
  });

  it('fails on a truncated zstd stream', { skip: noZstd }, async () => {
    const compressed = compress('zstd', ['-c'], plainBytes);
    const stream = await openLayerTar(mediaTypes.zstd, createReadStream(workspace.bytes(compressed.subarray(0, compressed.length - 10))));
    await assert.rejects(readAll(stream));
  });

  for (const tool of ['gzip', 'zstd']) {
    it(`keeps back pressure on a ${tool} bomb: reading a little decompresses a little`, { skip: tool === 'zstd' && noZstd }, async () => {
      const zeros = execFileSync('sh', ['-c', `head -c 268435456 /dev/zero | ${tool} -c -9`], { maxBuffer: 64 * 1024 * 1024 });
      assert.ok(zeros.length < 512 * 1024, `${zeros.length} compressed bytes for 256 MiB`);
      const blob = createReadStream(workspace.bytes(zeros));
      const stream = await openLayerTar(mediaTypes.gzip, blob);
      const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
      stream.pause();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(first.length <= 128 * 1024);
      assert.ok(stream.readableLength <= 4 * 1024 * 1024, `${stream.readableLength} bytes decompressed ahead of the reader`);
      stream.destroy();
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(blob.destroyed, 'destroying the tar stream closes the blob');
    });
  }

  it('refuses bzip2 and xz layers whatever their label, and closes the blob', { skip: missing('bzip2', 'xz') }, async () => {
    for (const tool of ['bzip2', 'xz']) {
      const blob = createReadStream(workspace.bytes(compress(tool, ['-c'], plainBytes)));
      await assert.rejects(openLayerTar(mediaTypes.gzip, blob), (error: unknown) => error instanceof UnsupportedLayerError && error.message.includes(tool));
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(blob.destroyed);
    }
  });

  it('refuses an unknown media type before reading the blob', async () => {
    let read = false;
    const blob = new Readable({
      read() {
        read = true;
        this.push(null);
      },
    });
    await assert.rejects(openLayerTar('application/vnd.oci.image.config.v1+json', blob), UnsupportedLayerError);
    assert.equal(read, false);
  });
});

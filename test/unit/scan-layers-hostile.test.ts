import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { CorruptLayerError, LayerLimitError, UnsupportedLayerError } from '../../src/scanning/layers/layer-errors.js';
import { walkMergedLayers } from '../../src/scanning/layers/merged-walker.js';
import type { LayerFileSink } from '../../src/scanning/model.js';
import { hasTool, LayerWorkspace, mediaTypes, RecordingSink } from '../support/layer-tars.js';

// Layers written by strangers: names that climb out of the root, broken compression and headers, and more entries
// than any image needs. Each ends in a typed error or a counted skip, never a hang or an unhandled rejection.

const workspace = new LayerWorkspace();
const manyFiles = 10_000;
let many: string;
let small: string;

before(() => {
  const files: Record<string, string> = {};
  for (let i = 0; i < manyFiles; i++) files[`files/file-${String(i).padStart(5, '0')}.txt`] = `file ${i}\n`;
  many = workspace.layer(workspace.tree(files), { compression: 'gzip' });
  small = workspace.layer(workspace.tree({ 'etc/os-release': 'ID=alpine\n', 'lib/apk/db/installed': 'P:musl\nV:1.2.5-r0\n\n' }),
    { format: 'ustar', members: ['etc/os-release', 'lib/apk/db/installed'] });
});

after(() => workspace.remove());

function isLayerError(type: typeof CorruptLayerError | typeof LayerLimitError | typeof UnsupportedLayerError, layer: number) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert.equal(error.layer, layer);
    return true;
  };
}

describe('hostile names', { timeout: 30_000 }, () => {
  it('skips names that climb out of the root and roots absolute ones', async () => {
    const layer = workspace.layer(workspace.tree({ passwd: 'p\n', hosts: 'h\n', shadow: 's\n', ok: 'o\n' }), {
      members: ['passwd', 'hosts', 'shadow', 'ok'],
      tarArgs: ['-P', '--transform=s,^passwd$,../etc/passwd,', '--transform=s,^hosts$,/etc/hosts,',
        '--transform=s,^shadow$,a/../../shadow,', '--transform=s,^ok$,./srv/./ok,'],
    });
    const sink = new RecordingSink();
    const summary = await walkMergedLayers([workspace.source(layer, mediaTypes.tar)], sink);
    assert.deepEqual(Object.fromEntries(sink.files), { 'etc/hosts': 'h\n', 'srv/ok': 'o\n' });
    assert.equal(summary.entriesRejected, 2);
    assert.equal(summary.entriesSeen, 4);
  });
});

describe('broken layers', { timeout: 30_000 }, () => {
  it('fails a truncated gzip stream as corrupt and closes it', async () => {
    const gzipped = readFileSync(many);
    const cut = workspace.bytes(gzipped.subarray(0, gzipped.length >> 1));
    await assert.rejects(walkMergedLayers([workspace.source(small, mediaTypes.tar), workspace.source(cut, mediaTypes.gzip)], new RecordingSink()),
      isLayerError(CorruptLayerError, 1));
    await workspace.assertAllClosed();
  });

  it('fails a tar cut short in the middle of a file as corrupt', async () => {
    const tar = readFileSync(small);
    const cut = workspace.bytes(tar.subarray(0, 512 + 5));
    await assert.rejects(walkMergedLayers([workspace.source(cut, mediaTypes.tar)], new RecordingSink()), isLayerError(CorruptLayerError, 0));
  });

  it('fails a tar whose second header is damaged as corrupt, after the entries before it', async () => {
    const tar = Buffer.from(readFileSync(small));
    assert.equal(tar.subarray(1024, 1024 + 20).toString('latin1').replace(/\0+$/, ''), 'lib/apk/db/installed');
    tar.write('lib/XXX', 1024, 'latin1');
    const sink = new RecordingSink();
    await assert.rejects(walkMergedLayers([workspace.source(workspace.bytes(tar), mediaTypes.tar)], sink),
      (error: unknown) => isLayerError(CorruptLayerError, 0)(error) && /header/i.test((error as Error).message));
    assert.deepEqual([...sink.files.keys()], ['etc/os-release']);
  });

  it('passes a failing blob\'s own error on, not as corruption', async () => {
    const gzipped = readFileSync(many);
    const failing = {
      mediaType: mediaTypes.gzip,
      open: async () => new Readable({
        read() {
          this.push(gzipped.subarray(0, 100_000));
          this.destroy(new Error('disk read failed'));
        },
      }),
    };
    await assert.rejects(walkMergedLayers([failing], new RecordingSink()), /^Error: disk read failed$/);
  });

  it('refuses an unknown media type without opening the blob', async () => {
    const opened = workspace.opened.length;
    await assert.rejects(walkMergedLayers([workspace.source(small, 'application/vnd.oci.image.config.v1+json')], new RecordingSink()),
      isLayerError(UnsupportedLayerError, 0));
    assert.equal(workspace.opened.length, opened);
  });

  it('refuses a bzip2 layer and closes its blob', { skip: !hasTool('bzip2') && 'bzip2 is not installed' }, async () => {
    const bzipped = workspace.bytes(execFileSync('bzip2', ['-c'], { input: readFileSync(small) }));
    await assert.rejects(walkMergedLayers([workspace.source(bzipped, mediaTypes.tar)], new RecordingSink()),
      (error: unknown) => isLayerError(UnsupportedLayerError, 0)(error) && /bzip2/.test((error as Error).message));
    await workspace.assertAllClosed();
  });

  it('passes what the sink throws on unchanged and closes the layer', async () => {
    const failure = new Error('sink is full');
    const sink: LayerFileSink = {
      wants: () => true,
      take: async () => {
        throw failure;
      },
      link: () => {},
    };
    await assert.rejects(walkMergedLayers([workspace.source(many, mediaTypes.gzip)], sink), (error: unknown) => error === failure);
    await workspace.assertAllClosed();
  });
});

describe('limits', { timeout: 60_000 }, () => {
  it('streams a layer of 10,000 small files, holding only the wanted ones', async () => {
    const sink = new RecordingSink((path) => path.endsWith('-04242.txt'));
    const summary = await walkMergedLayers([workspace.source(many, mediaTypes.gzip)], sink);
    assert.equal(summary.entriesSeen, manyFiles + 2, 'the root, files/ and every file');
    assert.equal(sink.offered.length, manyFiles);
    assert.equal(summary.filesTaken, 1);
    assert.equal(summary.bytesTaken, 'file 4242\n'.length);
    assert.ok(summary.bytesRead >= manyFiles * 1024, 'a header and a data block per file, all read');
    assert.deepEqual(Object.fromEntries(sink.files), { 'files/file-04242.txt': 'file 4242\n' });
  });

  it('stops an entry-count bomb at the per-layer and total limits', async () => {
    await assert.rejects(walkMergedLayers([workspace.source(many, mediaTypes.gzip)], new RecordingSink(), { maxEntriesPerLayer: 1000 }),
      (error: unknown) => isLayerError(LayerLimitError, 0)(error) && (error as LayerLimitError).limit === 'maxEntriesPerLayer');
    await assert.rejects(walkMergedLayers([workspace.source(many, mediaTypes.gzip), workspace.source(many, mediaTypes.gzip)], new RecordingSink(),
      { maxTotalEntries: 15_000 }), (error: unknown) => isLayerError(LayerLimitError, 0)(error) && (error as LayerLimitError).limit === 'maxTotalEntries');
    await workspace.assertAllClosed();
  });

  it('stops at the tree\'s node limit', async () => {
    await assert.rejects(walkMergedLayers([workspace.source(many, mediaTypes.gzip)], new RecordingSink(), { maxTreeNodes: 500 }),
      (error: unknown) => isLayerError(LayerLimitError, 0)(error) && (error as LayerLimitError).limit === 'maxTreeNodes');
  });

  it('stops at a name longer than allowed', async () => {
    const long = `deep/${'x'.repeat(120)}/file`;
    const layer = workspace.layer(workspace.tree({ [long]: 'deep\n' }));
    await assert.rejects(walkMergedLayers([workspace.source(layer, mediaTypes.tar)], new RecordingSink(), { maxPathLength: 100 }),
      (error: unknown) => isLayerError(LayerLimitError, 0)(error) && (error as LayerLimitError).limit === 'maxPathLength');
    const sink = new RecordingSink();
    await walkMergedLayers([workspace.source(layer, mediaTypes.tar)], sink);
    assert.deepEqual([...sink.files.keys()], [long]);
  });

  it('guards against a sink that wants a file larger than allowed', async () => {
    await assert.rejects(walkMergedLayers([workspace.source(small, mediaTypes.tar)], new RecordingSink(), { maxFileBytes: 4 }),
      (error: unknown) => isLayerError(LayerLimitError, 0)(error) && /maxFileBytes/.test((error as Error).message));
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { scanning } from '../../src/features/scanning/scanning.js';
import type { JobContext } from '../../src/jobs/job-definition.js';
import type { Job } from '../../src/metadata/metadata-store.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import type { SqliteMetadataStore } from '../../src/metadata/sqlite-metadata-store.js';
import { FilesystemBlobStore } from '../../src/storage/filesystem/filesystem-blob-store.js';
import { imageTypes, layerOf, scanFixtures, sha256 } from '../support/scanning.js';

/**
 * A scan that fails for a reason of its own, outside its layers (here: the job's lease lost while it reported
 * progress), is tried again by the job runner; on its last attempt the report says why rather than "scanning".
 */
describe('a scan job that fails on its last attempt', () => {
  let dir: string;
  let metadata: SqliteMetadataStore;
  let store: FilesystemBlobStore;
  let digest: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-scan-give-up-'));
    metadata = await openSqliteMetadataStore(join(dir, 'berth.db'));
    store = new FilesystemBlobStore(join(dir, 'blobs'));
    await store.init();
    const layer = layerOf(join(scanFixtures, 'inventory/debian/bookworm-12.15-minbase'));
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    for (const blob of [layer, config]) {
      const id = `upload-${sha256(blob).slice(7, 19)}`;
      await store.createUpload(id);
      await store.appendUpload(id, 0, Readable.from([blob]), { final: true });
      await store.commitUpload(id, sha256(blob));
    }
    const content = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: imageTypes.manifest,
      config: { mediaType: imageTypes.config, digest: sha256(config), size: config.length },
      layers: [{ mediaType: imageTypes.layer, digest: sha256(layer), size: layer.length }],
    }));
    digest = sha256(content);
    await metadata.putManifest({
      repository: 'team/debian', digest, mediaType: imageTypes.manifest, content, artifactType: undefined, subjectDigest: undefined,
      annotations: undefined, references: [], tags: ['12'], now: Date.now(),
    });
  });
  after(async () => {
    await metadata.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is recorded as failed, with the attempts and the reason, only on the last attempt', async () => {
    const feature = scanning(metadata, {
      onPush: true, feed: { location: join(dir, 'no-feed-here'), refreshMinutes: 60, timeoutSeconds: 10 },
      readBlob: (blob) => store.read(blob), access: { mayRead: async () => true, mayPush: async () => true },
      enqueue: async () => 0, log: pino({ level: 'silent' }), policy: undefined as never, audit: undefined as never,
    });
    const job = feature.jobs!.find((definition) => definition.kind === 'scan.artifact')!;
    // The scan reads the layers, then reports progress before reading Debian's advisories: the lease is gone by then.
    const context: JobContext = { signal: new AbortController().signal, progress: async () => { throw new Error('the lease on this job was lost'); } };
    const attempt = (attempts: number): Job => ({ id: 1, kind: 'scan.artifact', payload: { repository: 'team/debian', digest }, attempts, maxAttempts: 3 } as Job);

    await assert.rejects(job.run(attempt(1), context), /lease on this job was lost/);
    assert.equal((await metadata.scans().reports([digest])).get(digest)?.status, 'scanning', 'another attempt will come');
    await assert.rejects(job.run(attempt(3), context), /lease on this job was lost/);
    const report = (await metadata.scans().reports([digest])).get(digest)!;
    assert.equal(report.status, 'failed');
    assert.match(report.reason ?? '', /^the scan failed 3 times, the last time: the lease on this job was lost; ask for another with berth scan$/);
  });
});

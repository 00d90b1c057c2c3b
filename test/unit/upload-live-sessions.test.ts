import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { anonymous } from '../../src/auth/principal.js';
import { systemOrigin } from '../../src/events/registry-event.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import type { SqliteMetadataStore } from '../../src/metadata/sqlite-metadata-store.js';
import { PolicyPoint } from '../../src/registry/policy-point.js';
import type { RequestContext } from '../../src/registry/request-context.js';
import { UploadService } from '../../src/registry/upload-service.js';
import { FilesystemBlobStore } from '../../src/storage/filesystem/filesystem-blob-store.js';

const context: RequestContext = { origin: systemOrigin, principal: anonymous, requestId: undefined, may: async () => true };
const chunk = (bytes: Buffer) => ({ body: Readable.from([bytes]), contentRange: undefined, contentLength: bytes.length });
const idleMs = 40;

/**
 * Two nodes behind a load balancer share the stores; each keeps the uploads it served in memory. A session one node
 * began and another finished must not stay among the first node's uploads in progress for ever.
 */
describe('upload sessions held in memory by a node', () => {
  let dir: string;
  let metadata: SqliteMetadataStore;
  let nodeA: UploadService;
  let nodeB: UploadService;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-live-uploads-'));
    metadata = await openSqliteMetadataStore(join(dir, 'berth.db'));
    const store = new FilesystemBlobStore(join(dir, 'blobs'));
    await store.init();
    nodeA = new UploadService(store, metadata, { blobMaxBytes: 0, liveIdleMs: idleMs }, new PolicyPoint([]));
    nodeB = new UploadService(store, metadata, { blobMaxBytes: 0, liveIdleMs: idleMs }, new PolicyPoint([]));
  });
  after(async () => {
    await metadata.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('forgets a session another node finished once it has been idle, and rebuilds one still open', async () => {
    const first = Buffer.from('first half, '), second = Buffer.from('second half');
    const digest = `sha256:${createHash('sha256').update(Buffer.concat([first, second])).digest('hex')}`;
    const finished = await nodeA.start(context, 'team/app');
    await nodeA.append('team/app', finished, chunk(first));
    const open = await nodeA.start(context, 'team/app');
    await nodeA.append('team/app', open, chunk(first));
    await nodeB.complete(context, 'team/app', finished, digest, chunk(second));
    assert.equal(nodeA.openSessions, 2, 'node A has not heard that node B finished one');

    await new Promise((resolve) => setTimeout(resolve, idleMs * 2));
    const third = await nodeA.start(context, 'team/app');
    assert.equal(nodeA.openSessions, 1, 'both idle sessions were forgotten; the new one is held');
    // The forgotten session that is still open continues: its state is rebuilt from the stored bytes.
    assert.equal(await nodeA.complete(context, 'team/app', open, digest, chunk(second)), digest);
    await nodeA.cancel('team/app', third);
    assert.equal(nodeA.openSessions, 0);
  });
});

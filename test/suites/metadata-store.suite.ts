import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { MetadataStore, NewJob, NewManifest } from '../../src/metadata/metadata-store.js';
import { accessStoreTests } from './access-store.suite.js';
import { insightStoreTests } from './insight-store.suite.js';
import { outboxStoreTests } from './outbox-store.suite.js';
import { policyStoreTests } from './policy-store.suite.js';
import { scanStoreTests } from './scan-store.suite.js';
import { trustStoreTests } from './trust-store.suite.js';

/** What a backend under test provides: a fresh, empty store per test, and its disposal. */
export interface MetadataStoreHarness {
  create(): Promise<MetadataStore>;
  dispose?(store: MetadataStore): Promise<void>;
}

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function manifest(overrides: Partial<NewManifest> = {}): NewManifest {
  return {
    repository: 'team/app',
    digest: digest(100),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    content: Buffer.from('{"schemaVersion":2}'),
    artifactType: undefined,
    subjectDigest: undefined,
    annotations: undefined,
    references: [{ digest: digest(1), kind: 'blob' }],
    tags: ['v1'],
    now: 1_000,
    ...overrides,
  };
}

/**
 * The behaviour every metadata store must show (the contract in src/metadata/metadata-store.ts). Each backend runs
 * it with a few lines; each test gets a fresh store.
 */
export function metadataStoreSuite(name: string, harness: MetadataStoreHarness): void {
  describe(`metadata store contract: ${name}`, () => {
    let store: MetadataStore;
    beforeEach(async () => { store = await harness.create(); });
    afterEach(async () => { await (harness.dispose ? harness.dispose(store) : store.close()); });

    it('links a blob to a repository only', async () => {
      await store.linkBlob('team/app', digest(1), 42);
      assert.deepEqual(await store.linkedBlob('team/app', digest(1)), { size: 42 });
      assert.equal(await store.linkedBlob('team/other', digest(1)), undefined);
      assert.ok(await store.repositoryExists('team/app'));
      assert.ok(!(await store.repositoryExists('team/other')));
    });

    it('ends the upload session that brought a blob in the same write', async () => {
      await store.createUploadSession('u9', 'team/app', 1_000);
      await store.linkBlob('team/app', digest(9), 9, 'u9');
      assert.deepEqual(await store.linkedBlob('team/app', digest(9)), { size: 9 });
      assert.equal(await store.uploadSession('u9'), undefined);
    });

    it('links the same blob to several repositories and lists them', async () => {
      await store.linkBlob('b', digest(1), 7);
      await store.linkBlob('a', digest(1), 7);
      await store.linkBlob('a', digest(1), 7);
      assert.deepEqual(await store.repositoriesWithBlob(digest(1), 10), ['a', 'b']);
      assert.deepEqual(await store.repositoriesWithBlob(digest(1), 1), ['a']);
    });

    it('answers sizes of linked blobs in one call', async () => {
      await store.linkBlob('r', digest(1), 1);
      await store.linkBlob('r', digest(2), 2);
      const sizes = await store.linkedBlobSizes('r', [digest(1), digest(2), digest(3), digest(1)]);
      assert.deepEqual([...sizes].sort(), [[digest(1), 1], [digest(2), 2]]);
      assert.equal((await store.linkedBlobSizes('r', [])).size, 0);
    });

    it('unlinks a blob from one repository, leaving the others', async () => {
      await store.linkBlob('a', digest(1), 1);
      await store.linkBlob('b', digest(1), 1);
      assert.ok(await store.unlinkBlob('a', digest(1)));
      assert.ok(!(await store.unlinkBlob('a', digest(1))));
      assert.equal(await store.linkedBlob('a', digest(1)), undefined);
      assert.deepEqual(await store.linkedBlob('b', digest(1)), { size: 1 });
    });

    it('stores a manifest with its tag, readable by tag and by digest', async () => {
      await store.putManifest(manifest());
      const byTag = await store.manifestByTag('team/app', 'v1');
      const byDigest = await store.manifestByDigest('team/app', digest(100));
      for (const found of [byTag, byDigest]) {
        assert.ok(found);
        assert.equal(found.digest, digest(100));
        assert.equal(found.mediaType, 'application/vnd.oci.image.manifest.v1+json');
        assert.equal(found.size, 19);
        assert.deepEqual(Buffer.from(found.content), Buffer.from('{"schemaVersion":2}'));
      }
      assert.equal(await store.manifestByDigest('team/other', digest(100)), undefined);
      assert.deepEqual(await store.linkedManifests('team/app', [digest(100), digest(101)]), new Set([digest(100)]));
    });

    it('moves a tag to a newer manifest and keeps the old one by digest', async () => {
      await store.putManifest(manifest());
      await store.putManifest(manifest({ digest: digest(101), now: 2_000 }));
      assert.equal((await store.manifestByTag('team/app', 'v1'))?.digest, digest(101));
      assert.ok(await store.manifestByDigest('team/app', digest(100)));
    });

    it('stores the same manifest in two repositories once, visible in each', async () => {
      await store.putManifest(manifest());
      await store.putManifest(manifest({ repository: 'team/copy', tags: ['latest'] }));
      assert.equal((await store.manifestByTag('team/copy', 'latest'))?.digest, digest(100));
      assert.equal((await store.manifestByTag('team/app', 'v1'))?.digest, digest(100));
    });

    it('deletes a tag only, or a manifest with all its tags', async () => {
      await store.putManifest(manifest());
      await store.putManifest(manifest({ tags: ['v2'] }));
      assert.equal(await store.deleteTag('team/app', 'v1'), digest(100), 'answers what the tag pointed to');
      assert.equal(await store.deleteTag('team/app', 'v1'), undefined);
      assert.equal(await store.manifestByTag('team/app', 'v1'), undefined);
      assert.ok(await store.manifestByTag('team/app', 'v2'));
      assert.ok(await store.deleteManifest('team/app', digest(100)));
      assert.ok(!(await store.deleteManifest('team/app', digest(100))));
      assert.equal(await store.manifestByTag('team/app', 'v2'), undefined);
      assert.equal(await store.manifestByDigest('team/app', digest(100)), undefined);
      assert.deepEqual(await store.listTags('team/app', undefined, 10), []);
    });

    it('lists referrers of a subject in one repository, filtered by artifact type', async () => {
      await store.putManifest(manifest({ digest: digest(201), tags: [], subjectDigest: digest(100), artifactType: 'application/sbom', annotations: { a: 'b' } }));
      await store.putManifest(manifest({ digest: digest(202), tags: [], subjectDigest: digest(100), artifactType: 'application/sig' }));
      await store.putManifest(manifest({ repository: 'elsewhere', digest: digest(203), tags: [], subjectDigest: digest(100) }));
      const all = await store.referrers('team/app', digest(100));
      assert.deepEqual(all.map((r) => r.digest), [digest(201), digest(202)]);
      assert.deepEqual(all[0]!.annotations, { a: 'b' });
      assert.equal(all[0]!.artifactType, 'application/sbom');
      const filtered = await store.referrers('team/app', digest(100), 'application/sig');
      assert.deepEqual(filtered.map((r) => r.digest), [digest(202)]);
      assert.deepEqual(await store.referrers('team/app', digest(999)), []);
    });

    it('pages tags and repositories in lexical order after a key', async () => {
      for (const tag of ['b', 'a', 'c', 'B', '1']) await store.putManifest(manifest({ tags: [tag] }));
      assert.deepEqual(await store.listTags('team/app', undefined, 10), ['1', 'B', 'a', 'b', 'c']);
      assert.deepEqual(await store.listTags('team/app', 'B', 2), ['a', 'b']);
      assert.deepEqual(await store.listTags('team/app', 'c', 2), []);
      await store.linkBlob('z/y', digest(1), 1);
      await store.linkBlob('a/b', digest(1), 1);
      assert.deepEqual(await store.listRepositories(undefined, 10), ['a/b', 'team/app', 'z/y']);
      assert.deepEqual(await store.listRepositories('a/b', 1), ['team/app']);
    });

    it('keeps upload sessions, touches them and finds stale ones', async () => {
      await store.createUploadSession('u1', 'team/app', 1_000);
      await store.createUploadSession('u2', 'team/app', 1_000);
      await store.touchUploadSession('u2', 5_000);
      assert.deepEqual(await store.uploadSession('u1'), { id: 'u1', repository: 'team/app', createdAt: 1_000, updatedAt: 1_000 });
      assert.deepEqual(await store.staleUploadSessions(2_000), ['u1']);
      assert.deepEqual(await store.existingUploadSessions(['u1', 'u3']), new Set(['u1']));
      await store.deleteUploadSession('u1');
      assert.equal(await store.uploadSession('u1'), undefined);
    });

    const job = (overrides: Partial<NewJob> = {}): NewJob =>
      ({ kind: 'test.work', payload: { n: 1 }, runAfter: 1_000, maxAttempts: 3, now: 1_000, ...overrides });

    it('queues jobs and hands each due one to one owner, oldest first, with its payload', async () => {
      const first = await store.enqueueJob(job({ payload: { n: 1 } }));
      const second = await store.enqueueJob(job({ payload: { n: 2 } }));
      await store.enqueueJob(job({ payload: { n: 3 }, runAfter: 9_000 }));
      await store.enqueueJob(job({ kind: 'other.work' }));
      const a = await store.claimJob(['test.work'], 'node-a', 30_000, 2_000);
      const b = await store.claimJob(['test.work'], 'node-b', 30_000, 2_000);
      assert.deepEqual([a?.id, a?.payload, a?.status, a?.attempts], [first, { n: 1 }, 'running', 1]);
      assert.deepEqual([b?.id, b?.payload], [second, { n: 2 }]);
      assert.equal(await store.claimJob(['test.work'], 'node-c', 30_000, 2_000), undefined, 'the third is not due yet');
      assert.equal((await store.claimJob(['test.work'], 'node-c', 30_000, 9_000))?.payload?.toString(), ({ n: 3 }).toString());
    });

    it('queues several jobs in one call as one by one would: a key still open answers its job, not a second', async () => {
      const open = await store.enqueueJob(job({ kind: 'batch.work', uniqueKey: 'batch:a' }));
      const ids = await store.enqueueJobs([
        job({ kind: 'batch.work', uniqueKey: 'batch:a' }), job({ kind: 'batch.work', uniqueKey: 'batch:b', payload: { n: 2 } }),
        job({ kind: 'batch.work', payload: { n: 3 } }), job({ kind: 'batch.work', uniqueKey: 'batch:b' }),
      ]);
      assert.equal(ids[0], open, 'an open job with the key answers for it');
      assert.equal(ids[3], ids[1], 'one key twice in a batch is one job');
      assert.equal(new Set(ids).size, 3);
      assert.deepEqual((await store.job(ids[1]!))?.payload, { n: 2 });
      assert.deepEqual((await store.job(ids[2]!))?.payload, { n: 3 });
      assert.deepEqual(await store.enqueueJobs([]), []);
    });

    it('gives a job whose owner stopped renewing its lease to another owner, and refuses the old owner', async () => {
      const id = await store.enqueueJob(job());
      assert.equal((await store.claimJob(['test.work'], 'dead-node', 10_000, 2_000))?.id, id);
      assert.equal(await store.claimJob(['test.work'], 'node-b', 10_000, 5_000), undefined, 'the lease still holds');
      assert.ok(await store.renewJob(id, 'dead-node', 20_000, { done: 5, total: 10 }, 6_000));
      assert.deepEqual((await store.job(id))?.progress, { done: 5, total: 10 });
      const taken = await store.claimJob(['test.work'], 'node-b', 10_000, 25_000);
      assert.deepEqual([taken?.id, taken?.attempts], [id, 2]);
      assert.equal(await store.renewJob(id, 'dead-node', 99_000, undefined, 26_000), false);
      assert.equal(await store.finishJob(id, 'dead-node', { ok: true }, 26_000), false);
      assert.ok(await store.finishJob(id, 'node-b', { ok: true }, 27_000));
      assert.equal((await store.job(id))?.status, 'done');
    });

    it('retries a failed job at its retry time until its attempts are spent, keeping the last error', async () => {
      const id = await store.enqueueJob(job({ maxAttempts: 2 }));
      await store.claimJob(['test.work'], 'n', 10_000, 2_000);
      assert.ok(await store.finishJob(id, 'n', { ok: false, error: 'disk full', retryAt: 50_000 }, 3_000));
      assert.deepEqual([(await store.job(id))?.status, (await store.job(id))?.lastError], ['queued', 'disk full']);
      assert.equal(await store.claimJob(['test.work'], 'n', 10_000, 40_000), undefined, 'not before its retry time');
      assert.equal((await store.claimJob(['test.work'], 'n', 10_000, 50_000))?.attempts, 2);
      await store.finishJob(id, 'n', { ok: false, error: 'disk still full', retryAt: 90_000 }, 51_000);
      assert.deepEqual([(await store.job(id))?.status, (await store.job(id))?.lastError], ['failed', 'disk still full']);
      assert.equal(await store.claimJob(['test.work'], 'n', 10_000, 99_000), undefined);
    });

    it('keeps one open job per unique key however often it is queued, and a new one once it finished', async () => {
      const ids = await Promise.all([1, 2, 3].map(() => store.enqueueJob(job({ uniqueKey: 'sweep' }))));
      assert.equal(new Set(ids).size, 1);
      await store.claimJob(['test.work'], 'n', 10_000, 2_000);
      assert.equal(await store.enqueueJob(job({ uniqueKey: 'sweep' })), ids[0], 'running still counts as open');
      await store.finishJob(ids[0]!, 'n', { ok: true }, 3_000);
      assert.notEqual(await store.enqueueJob(job({ uniqueKey: 'sweep' })), ids[0]);
    });

    it('counts the open jobs by kind and status, leaving finished ones out (for metrics)', async () => {
      await store.enqueueJob(job());
      await store.enqueueJob(job());
      await store.enqueueJob(job({ kind: 'other.work' }));
      const finished = await store.enqueueJob(job({ kind: 'done.work' }));
      await store.claimJob(['test.work'], 'n', 10_000, 2_000);
      await store.claimJob(['done.work'], 'n', 10_000, 2_000);
      await store.finishJob(finished, 'n', { ok: true }, 3_000);
      const counts = (await store.openJobCounts()).map(({ kind, status, count }) => `${kind} ${status} ${count}`).sort();
      assert.deepEqual(counts, ['other.work queued 1', 'test.work queued 1', 'test.work running 1']);
    });

    it('treats each write as one transaction: a write that fails part-way leaves no trace', async () => {
      // A manifest without content violates the schema after the repository row was already written in the same
      // transaction; the whole write must roll back, repository included.
      await assert.rejects(store.putManifest(manifest({ repository: 'half/written', content: null as unknown as Buffer })));
      assert.ok(!(await store.repositoryExists('half/written')));
      assert.equal(await store.manifestByTag('half/written', 'v1'), undefined);
      // A duplicate write of a good manifest is harmless.
      await store.putManifest(manifest());
      await store.putManifest(manifest());
      assert.deepEqual(await store.listTags('team/app', undefined, 10), ['v1']);
    });

    it('refuses, writing nothing, a push whose kept tag another push moved first', async () => {
      await store.putManifest(manifest({ tags: ['v1'] }));
      const racing = manifest({ digest: digest(101), tags: ['v1', 'other'], keepTags: ['v1'] });
      await assert.rejects(store.putManifest(racing), (error: Error) => error.name === 'ConflictError' && /v1/.test(error.message));
      assert.equal((await store.manifestByTag('team/app', 'v1'))?.digest, digest(100), 'the kept tag did not move');
      assert.equal(await store.manifestByTag('team/app', 'other'), undefined, 'nor was any other tag set');
      assert.equal(await store.manifestByDigest('team/app', digest(101)), undefined, 'nor the manifest linked');
      await store.putManifest(manifest({ tags: ['v1'], keepTags: ['v1'] }));
      assert.equal((await store.manifestByTag('team/app', 'v1'))?.digest, digest(100), 'the same digest again is no move');
    });

    it('keeps concurrent writes apart: those that fail leave no trace, the others all land', async () => {
      // Writes issued together may share a commit (the embedded store groups them): each must stay atomic alone.
      await store.putManifest(manifest({ tags: ['kept'] }));
      const writes = Array.from({ length: 12 }, (_, index) => {
        if (index % 4 === 1) return store.putManifest(manifest({ repository: `group/broken-${index}`, content: null as unknown as Buffer }));
        if (index % 4 === 3) return store.putManifest(manifest({ digest: digest(200 + index), tags: ['kept', `moved-${index}`], keepTags: ['kept'] }));
        return store.putManifest(manifest({ repository: `group/ok-${index}`, digest: digest(200 + index), tags: [`v${index}`] }));
      });
      const outcomes = await Promise.allSettled(writes);
      for (const [index, outcome] of outcomes.entries()) assert.equal(outcome.status, index % 2 === 0 ? 'fulfilled' : 'rejected', `write ${index}`);
      for (let index = 0; index < 12; index++) {
        if (index % 4 === 1) assert.ok(!(await store.repositoryExists(`group/broken-${index}`)), `write ${index} left nothing`);
        if (index % 4 === 3) assert.equal(await store.manifestByTag('team/app', `moved-${index}`), undefined, `write ${index} set no tag`);
        if (index % 2 === 0) assert.equal((await store.manifestByTag(`group/ok-${index}`, `v${index}`))?.digest, digest(200 + index), `write ${index} landed`);
      }
      assert.equal((await store.manifestByTag('team/app', 'kept'))?.digest, digest(100), 'the kept tag did not move');
      const [blobA, blobB] = await Promise.all([
        store.linkBlob('group/blobs', digest(300), 10), store.unlinkBlob('group/blobs', digest(301)),
      ]);
      assert.equal(blobA, undefined);
      assert.equal(blobB, false, 'a blob never linked is not unlinked');
      assert.ok(await store.linkedBlob('group/blobs', digest(300)));
    });

    accessStoreTests(() => store);
    outboxStoreTests(() => store);
    policyStoreTests(() => store);
    insightStoreTests(() => store);
    scanStoreTests(() => store);
    trustStoreTests(() => store);
  });
}

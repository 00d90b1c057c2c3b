import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArtifactFacts, ArtifactPlatform } from '../../src/metadata/artifact-facts.js';
import type { ProjectScope, PullRecord, TagCursor, TagFilter, TagRow, TagSort } from '../../src/metadata/insight-store.js';
import type { MetadataStore, NewManifest } from '../../src/metadata/metadata-store.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const imageType = 'application/vnd.oci.image.manifest.v1+json';
const indexType = 'application/vnd.oci.image.index.v1+json';

function facts(fields: Partial<ArtifactFacts> = {}): ArtifactFacts {
  return {
    configDigest: undefined, os: undefined, architecture: undefined, variant: undefined, created: undefined, author: undefined, labels: {},
    totalSize: 0, platforms: [], ...fields,
  };
}

const platform = (of: number, os: string, architecture: string, variant = ''): ArtifactPlatform => ({ digest: digest(of), os, architecture, variant });

/** A manifest whose content (and so size) is its number as JSON: `{"n":<n>}`. */
function manifest(repository: string, n: number, tags: string[], now: number, overrides: Partial<NewManifest> = {}): NewManifest {
  return {
    repository, digest: digest(n), mediaType: imageType, content: Buffer.from(`{"n":${n}}`), artifactType: undefined, subjectDigest: undefined,
    annotations: undefined, references: [], tags, now, ...overrides,
  };
}

const pull = (id: number, repository: string, n: number, tag: string | undefined, at: number): PullRecord => ({ id, repository, digest: digest(n), tag, at });
const names = (rows: readonly TagRow[]): string[] => rows.map((row) => `${row.repository}:${row.tag}`);

/**
 * The insight part of the metadata contract (src/metadata/insight-store.ts): facts stored with a push, tag rows with
 * pull figures, keyset queries with every filter and sort, repository and project figures, search and jobs.
 */
export function insightStoreTests(store: () => MetadataStore): void {
  describe('insight', () => {
    /**
     * team/app:v1 (1: linux/amd64, labels tier=web team=a, an annotation, 1000 bytes, pushed at 1000), team/app:v2
     * (2: linux/arm64/v8, tier=db, artifactType, 5000 bytes, at 2000), team/app:idx (3: an index of 1 and 2, 7000
     * bytes, at 3000), team/lib:v1 (4: no facts, at 4000), other/app:v1 (1, at 5000), teams/app:v1 (2, at 6000);
     * pulls of 1 in team/app at 10,000 (twice, once by tag) and of 2 in team/app at 20,000.
     */
    async function seed(): Promise<void> {
      const s = store();
      const one = facts({
        os: 'linux', architecture: 'amd64', created: 500, labels: { tier: 'web', team: 'a' }, totalSize: 1000, platforms: [platform(1, 'linux', 'amd64')],
      });
      const two = facts({
        os: 'linux', architecture: 'arm64', variant: 'v8', created: 1500, labels: { tier: 'db' }, totalSize: 5000,
        platforms: [platform(2, 'linux', 'arm64', 'v8')],
      });
      const source = { 'org.opencontainers.image.source': 'https://git.example/app' };
      await s.putManifest(manifest('team/app', 1, ['v1'], 1000, { facts: one, annotations: source }));
      await s.putManifest(manifest('team/app', 2, ['v2'], 2000, { facts: two, artifactType: 'application/vnd.example.thing' }));
      await s.putManifest(manifest('team/app', 3, ['idx'], 3000, {
        mediaType: indexType, references: [{ digest: digest(1), kind: 'manifest' }, { digest: digest(2), kind: 'manifest' }],
        facts: facts({ created: 1500, totalSize: 7000, platforms: [platform(1, 'linux', 'amd64'), platform(2, 'linux', 'arm64', 'v8')] }),
      }));
      await s.putManifest(manifest('team/lib', 4, ['v1'], 4000));
      await s.putManifest(manifest('other/app', 1, ['v1'], 5000, { facts: one }));
      await s.putManifest(manifest('teams/app', 2, ['v1'], 6000, { facts: two }));
      await s.insight().recordPulls([pull(1, 'team/app', 1, 'v1', 10_000), pull(2, 'team/app', 1, undefined, 9_000), pull(3, 'team/app', 2, 'v2', 20_000)]);
    }

    const everything: TagFilter = { scope: 'all', labels: [], annotations: [] };
    const byName: TagSort = { by: 'name', order: 'asc' };
    const query = async (filter: Partial<TagFilter>, sort: TagSort = byName): Promise<string[]> =>
      names(await store().insight().queryTags({ ...everything, ...filter }, sort, undefined, 100));

    it('stores the facts a push brings with its manifest, and reads them back', async () => {
      const s = store();
      await s.putManifest(manifest('team/app', 1, ['v1'], 1000, {
        facts: facts({
          configDigest: digest(90), os: 'linux', architecture: 'arm', variant: 'v7', created: 123, author: 'me', labels: { a: '1', b: '<b>' },
          totalSize: 4242, platforms: [platform(1, 'linux', 'arm', 'v7')],
        }),
      }));
      await s.putManifest(manifest('team/app', 2, ['bare'], 2000));
      const stored = await s.insight().facts([digest(1), digest(2), digest(1)]);
      assert.deepEqual([...stored.keys()], [digest(1)], 'a manifest pushed without facts has none');
      assert.deepEqual(stored.get(digest(1)), {
        digest: digest(1), os: 'linux', architecture: 'arm', variant: 'v7', created: 123, labels: { a: '1', b: '<b>' }, totalSize: 4242,
      });
      const platforms = await s.insight().platforms([digest(1), digest(2)]);
      assert.deepEqual(platforms.get(digest(1)), [platform(1, 'linux', 'arm', 'v7')]);
      assert.equal(platforms.has(digest(2)), false);
      const rows = await s.insight().tagRows('team/app');
      assert.deepEqual(rows.map((row) => [row.tag, row.size, row.created, row.labels]), [
        ['bare', Buffer.from('{"n":2}').length, undefined, {}],
        ['v1', 4242, 123, { a: '1', b: '<b>' }],
      ], 'the total size when known, else the manifest\'s');
      assert.equal(await s.insight().pushedAt('team/app', digest(1)), 1000);
      assert.equal(await s.insight().pushedAt('team/other', digest(1)), undefined);
    });

    it('answers tag rows with their pull figures: per digest by tag or digest, and per tag', async () => {
      await seed();
      const rows = await store().insight().tagRows('team/app');
      assert.deepEqual(rows.map((row) => [row.tag, row.digest, row.pulls, row.lastPulledAt, row.tagPulls, row.pushedAt, row.quarantined]), [
        ['idx', digest(3), 0, undefined, 0, 3000, false],
        ['v1', digest(1), 2, 10_000, 1, 1000, false],
        ['v2', digest(2), 1, 20_000, 1, 2000, false],
      ]);
      assert.deepEqual(rows.map((row) => row.mediaType), [indexType, imageType, imageType]);
      assert.equal(rows[2]!.artifactType, 'application/vnd.example.thing');
      const figures = await store().insight().pullFigures('team/app', digest(1));
      assert.deepEqual([figures.pulls, figures.lastPulledAt, [...figures.tags]], [2, 10_000, [['v1', { pulls: 1, lastPulledAt: 10_000 }]]]);
      const none = await store().insight().pullFigures('other/app', digest(1));
      assert.deepEqual([none.pulls, none.lastPulledAt, none.tags.size], [0, undefined, 0], 'figures are per repository');
      await store().policies().quarantine({
        repository: 'team/app', digest: digest(2), children: [], reason: 'bad', origin: { actor: 'bob', actorKind: 'user', address: '10.0.0.2' }, now: 1,
      });
      assert.deepEqual((await store().insight().tagRows('team/app')).map((row) => row.quarantined), [false, false, true]);
    });

    it('counts a batch of pulls once however often it is delivered, and forgets figures at their delete event', async () => {
      const insight = store().insight();
      await store().putManifest(manifest('team/app', 1, ['v1', 'v2'], 1000));
      const batch = [pull(1, 'team/app', 1, 'v1', 100), pull(2, 'team/app', 1, 'v1', 300), pull(3, 'team/app', 1, undefined, 200)];
      await insight.recordPulls(batch);
      await insight.recordPulls(batch);
      await insight.recordPulls([batch[2]!, pull(4, 'team/app', 1, 'v2', 150)]);
      await insight.recordPulls([]);
      let figures = await insight.pullFigures('team/app', digest(1));
      assert.deepEqual([figures.pulls, figures.lastPulledAt], [4, 300], 'the last pull time is the latest, not the last delivered');
      assert.deepEqual(Object.fromEntries(figures.tags), { v1: { pulls: 2, lastPulledAt: 300 }, v2: { pulls: 1, lastPulledAt: 150 } });

      await insight.forgetPulls('team/app', { tag: 'v2' }, 5);
      figures = await insight.pullFigures('team/app', digest(1));
      assert.deepEqual([figures.pulls, [...figures.tags.keys()]], [4, ['v1']], 'a deleted tag takes its own figures only');
      await insight.recordPulls([pull(5, 'team/app', 1, 'v2', 400)]);
      assert.equal((await insight.pullFigures('team/app', digest(1))).pulls, 4, 'an event at or before the one counted is skipped');
      await insight.forgetPulls('team/app', { digest: digest(1) }, 6);
      figures = await insight.pullFigures('team/app', digest(1));
      assert.deepEqual([figures.pulls, figures.lastPulledAt, figures.tags.get('v1')?.pulls], [0, undefined, 2]);
      await insight.recordPulls([pull(7, 'team/app', 1, 'v1', 500)]);
      await insight.forgetPulls('team/app', { digest: digest(1) }, 6);
      assert.equal((await insight.pullFigures('team/app', digest(1))).pulls, 1, 'a delete event delivered again forgets nothing new');
    });

    it('filters tags by project scope, project and repository prefix, keeping "team" apart from "teams"', async () => {
      await seed();
      assert.deepEqual(await query({}), ['other/app:v1', 'team/app:idx', 'team/app:v1', 'team/app:v2', 'team/lib:v1', 'teams/app:v1']);
      assert.deepEqual(await query({ scope: ['team'] }), ['team/app:idx', 'team/app:v1', 'team/app:v2', 'team/lib:v1']);
      assert.deepEqual(await query({ scope: ['teams', 'other'] }), ['other/app:v1', 'teams/app:v1']);
      assert.deepEqual(await query({ scope: [] }), []);
      assert.deepEqual(await query({ project: 'team' }), ['team/app:idx', 'team/app:v1', 'team/app:v2', 'team/lib:v1']);
      assert.deepEqual(await query({ scope: ['other'], project: 'team' }), [], 'a project outside the scope shows nothing');
      assert.deepEqual(await query({ repositoryPrefix: 'team/a' }), ['team/app:idx', 'team/app:v1', 'team/app:v2']);
      assert.deepEqual(await query({ repositoryPrefix: 'team' }), ['team/app:idx', 'team/app:v1', 'team/app:v2', 'team/lib:v1', 'teams/app:v1']);
    });

    it('filters tags by labels (an index by its platforms\' too) and annotations, key=value and key present, all of them holding', async () => {
      await seed();
      assert.deepEqual(await query({ labels: [{ key: 'tier', value: 'web' }] }), ['other/app:v1', 'team/app:idx', 'team/app:v1']);
      assert.deepEqual(await query({ labels: [{ key: 'tier' }] }), ['other/app:v1', 'team/app:idx', 'team/app:v1', 'team/app:v2', 'teams/app:v1']);
      assert.deepEqual(await query({ labels: [{ key: 'tier', value: 'web' }, { key: 'team', value: 'a' }] }),
        ['other/app:v1', 'team/app:idx', 'team/app:v1']);
      assert.deepEqual(await query({ labels: [{ key: 'tier', value: 'web' }, { key: 'team', value: 'b' }] }), []);
      assert.deepEqual(await query({ labels: [{ key: 'tier', value: 'web' }, { key: 'tier', value: 'db' }] }), ['team/app:idx'],
        'each filter may hold on another platform of an index');
      assert.deepEqual(await query({ labels: [{ key: 'tier', value: 'WEB' }] }), [], 'values match exactly');
      assert.deepEqual(await query({ labels: [{ key: 'org.opencontainers.image.source' }] }), [], 'an annotation is no label');
      // Annotations, like labels, belong to the manifest: every tag of the digest, in any repository, has them.
      assert.deepEqual(await query({ annotations: [{ key: 'org.opencontainers.image.source' }] }), ['other/app:v1', 'team/app:v1']);
      assert.deepEqual(await query({ annotations: [{ key: 'org.opencontainers.image.source', value: 'https://git.example/app' }], scope: ['team'] }),
        ['team/app:v1']);
      assert.deepEqual(await query({ annotations: [{ key: 'org.opencontainers.image.source', value: 'x' }] }), []);
      assert.deepEqual(await query({ annotations: [{ key: 'tier' }] }), [], 'a label is no annotation');
    });

    it('filters tags by platform (an index by its children\'s), media type and artifact type', async () => {
      await seed();
      const arm = { os: 'linux', architecture: 'arm64' };
      assert.deepEqual(await query({ platform: arm }), ['team/app:idx', 'team/app:v2', 'teams/app:v1']);
      assert.deepEqual(await query({ platform: { ...arm, variant: 'v8' } }), ['team/app:idx', 'team/app:v2', 'teams/app:v1']);
      assert.deepEqual(await query({ platform: { ...arm, variant: 'v7' } }), []);
      assert.deepEqual(await query({ platform: { os: 'linux', architecture: 'amd64' } }), ['other/app:v1', 'team/app:idx', 'team/app:v1']);
      assert.deepEqual(await query({ platform: { os: 'windows', architecture: 'amd64' } }), []);
      assert.deepEqual(await query({ mediaType: indexType }), ['team/app:idx']);
      assert.deepEqual(await query({ artifactType: 'application/vnd.example.thing' }), ['team/app:v2', 'teams/app:v1']);
    });

    it('filters tags by push and pull time ranges (from inclusive, to exclusive; never pulled is before any time) and by size', async () => {
      await seed();
      assert.deepEqual(await query({ pushedAfter: 2000, pushedBefore: 5000 }), ['team/app:idx', 'team/app:v2', 'team/lib:v1']);
      assert.deepEqual(await query({ pushedAfter: 6000 }), ['teams/app:v1']);
      assert.deepEqual(await query({ pushedBefore: 1000 }), []);
      assert.deepEqual(await query({ pulledAfter: 10_000 }), ['team/app:v1', 'team/app:v2']);
      assert.deepEqual(await query({ pulledAfter: 15_000 }), ['team/app:v2']);
      assert.deepEqual(await query({ pulledBefore: 15_000 }), ['other/app:v1', 'team/app:idx', 'team/app:v1', 'team/lib:v1', 'teams/app:v1']);
      assert.deepEqual(await query({ pulledAfter: 5_000, pulledBefore: 15_000 }), ['team/app:v1']);
      assert.deepEqual(await query({ minSize: 5000 }), ['team/app:idx', 'team/app:v2', 'teams/app:v1']);
      assert.deepEqual(await query({ minSize: 5001, maxSize: 7000 }), ['team/app:idx']);
      assert.deepEqual(await query({ maxSize: 1000 }), ['other/app:v1', 'team/app:v1', 'team/lib:v1'], 'without facts: the manifest\'s own size');
    });

    it('sorts by name, push time, size and pull time in both orders, and pages with keyset cursors without gap or repeat', async () => {
      await seed();
      const expected: Record<TagSort['by'], string[]> = {
        name: ['other/app:v1', 'team/app:idx', 'team/app:v1', 'team/app:v2', 'team/lib:v1', 'teams/app:v1'],
        pushed: ['team/app:v1', 'team/app:v2', 'team/app:idx', 'team/lib:v1', 'other/app:v1', 'teams/app:v1'],
        // Ties (equal sizes, never pulled) go by repository, then tag, in the same direction.
        size: ['team/lib:v1', 'other/app:v1', 'team/app:v1', 'team/app:v2', 'teams/app:v1', 'team/app:idx'],
        pulled: ['other/app:v1', 'team/app:idx', 'team/lib:v1', 'teams/app:v1', 'team/app:v1', 'team/app:v2'],
      };
      const sortValue = (row: TagRow, by: TagSort['by']): number | undefined =>
        ({ name: undefined, pushed: row.pushedAt, size: row.size, pulled: row.lastPulledAt ?? 0 })[by];
      for (const by of ['name', 'pushed', 'size', 'pulled'] as const) {
        for (const order of ['asc', 'desc'] as const) {
          const sort = { by, order };
          const want = order === 'asc' ? expected[by] : [...expected[by]].reverse();
          assert.deepEqual(await query({}, sort), want, `${by} ${order}`);
          const paged: string[] = [];
          let after: TagCursor | undefined;
          for (let pages = 0; pages < 10; pages++) {
            const rows = await store().insight().queryTags(everything, sort, after, 4);
            paged.push(...names(rows));
            if (rows.length < 4) break;
            const last = rows[rows.length - 1]!;
            after = { repository: last.repository, tag: last.tag, value: sortValue(last, by) };
          }
          assert.deepEqual(paged, want, `${by} ${order}, in pages of 4`);
        }
      }
      const filtered = await store().insight().queryTags({ ...everything, scope: ['team'] }, { by: 'pushed', order: 'desc' },
        { repository: 'team/app', tag: 'idx', value: 3000 }, 10);
      assert.deepEqual(names(filtered), ['team/app:v2', 'team/app:v1'], 'a cursor with filters resumes inside the filtered rows');
    });

    it('summarises a project\'s repositories and one repository', async () => {
      await seed();
      const s = store();
      await s.linkBlob('team/app', digest(50), 1000);
      await s.linkBlob('team/app', digest(51), 24);
      const manifestBytes = [1, 2, 3].reduce((sum, n) => sum + Buffer.from(`{"n":${n}}`).length, 0);
      const all = await s.insight().repositories('team', undefined, undefined, 10);
      assert.deepEqual(all.map((summary) => summary.name), ['team/app', 'team/lib'], 'not teams/app');
      assert.deepEqual(all[0], {
        name: 'team/app', artifactCount: 3, tagCount: 3, storedBytes: 1024 + manifestBytes, pulls: 3, lastPulledAt: 20_000, updatedAt: 3000,
      });
      assert.deepEqual([all[1]!.tagCount, all[1]!.pulls, all[1]!.lastPulledAt], [1, 0, undefined]);
      assert.deepEqual((await s.insight().repositories('team', 'LIB', undefined, 10)).map((summary) => summary.name), ['team/lib'],
        'contains, ignoring case');
      assert.deepEqual((await s.insight().repositories('team', '%', undefined, 10)).map((summary) => summary.name), [], 'LIKE characters are literal');
      assert.deepEqual((await s.insight().repositories('team', undefined, 'team/app', 10)).map((summary) => summary.name), ['team/lib']);
      assert.deepEqual((await s.insight().repositories('team', undefined, undefined, 1)).map((summary) => summary.name), ['team/app']);
      assert.deepEqual(await s.insight().repository('team/app'), all[0]);
      assert.equal(await s.insight().repository('team/none'), undefined);
    });

    it('counts a blob shared by two repositories of a project once in its stored bytes, and the sum as its logical bytes', async () => {
      const s = store();
      await s.linkBlob('team/a', digest(50), 1000);
      await s.linkBlob('team/b', digest(50), 1000);
      await s.linkBlob('team/a', digest(51), 10);
      await s.linkBlob('teams/x', digest(52), 99_999);
      await s.putManifest(manifest('team/a', 60, ['v1'], 1000));
      await s.putManifest(manifest('team/b', 60, ['v1'], 1000));
      await s.insight().recordPulls([pull(1, 'team/a', 60, 'v1', 5), pull(2, 'team/b', 60, undefined, 7), pull(3, 'teams/x', 60, undefined, 9)]);
      const manifestSize = Buffer.from('{"n":60}').length;
      const usage = await s.insight().projectUsage('team');
      assert.deepEqual(usage, {
        repositories: 2, storedBytes: 1010 + manifestSize, logicalBytes: 2010 + 2 * manifestSize, pulls: 2, lastPulledAt: 7,
      });
      assert.ok(usage.storedBytes < usage.logicalBytes);
      assert.deepEqual(await s.insight().projectUsage('empty'), { repositories: 0, storedBytes: 0, logicalBytes: 0, pulls: 0, lastPulledAt: undefined });
    });

    it('searches repositories, tags and labels within the projects a caller may see', async () => {
      await seed();
      const search = (text: string, scope: ProjectScope) => store().insight().search(text, scope, 10);
      const hits = await search('APP', 'all');
      assert.deepEqual(hits.repositories, ['other/app', 'team/app', 'teams/app']);
      assert.deepEqual(await search('app', ['team']).then((found) => found.repositories), ['team/app']);
      assert.deepEqual((await search('idx', 'all')).tags, [{ repository: 'team/app', tag: 'idx', digest: digest(3) }]);
      assert.deepEqual((await search('web', ['team'])).labels, [
        { repository: 'team/app', tag: 'idx', digest: digest(3), key: 'tier', value: 'web' },
        { repository: 'team/app', tag: 'v1', digest: digest(1), key: 'tier', value: 'web' },
      ], 'an index shows its platforms\' labels');
      assert.deepEqual((await search('tier', 'all')).labels.map((hit) => `${hit.repository}:${hit.tag}=${hit.value}`).sort(),
        ['other/app:v1=web', 'team/app:idx=db', 'team/app:idx=web', 'team/app:v1=web', 'team/app:v2=db', 'teams/app:v1=db']);
      assert.deepEqual(await search('nothing-like-it', 'all'), { repositories: [], tags: [], labels: [] });
      assert.deepEqual(await search('app', []), { repositories: [], tags: [], labels: [] });
      assert.deepEqual((await store().insight().search('_', 'all', 10)).repositories, [], 'LIKE characters are literal');
    });

    it('lists jobs newest first, by status and kind, after an id', async () => {
      const s = store();
      const job = (kind: string) => s.enqueueJob({ kind, payload: {}, runAfter: 1000, maxAttempts: 3, now: 1000 });
      const [a, b, c] = [await job('one'), await job('two'), await job('one')];
      const insight = s.insight();
      assert.deepEqual((await insight.jobs({}, undefined, 10)).map((found) => found.id), [c, b, a]);
      assert.deepEqual((await insight.jobs({}, undefined, 2)).map((found) => found.id), [c, b]);
      assert.deepEqual((await insight.jobs({}, b, 10)).map((found) => found.id), [a]);
      assert.deepEqual((await insight.jobs({ kind: 'one' }, undefined, 10)).map((found) => found.id), [c, a]);
      await s.claimJob(['two'], 'node', 10_000, 2000);
      assert.deepEqual((await insight.jobs({ status: 'running' }, undefined, 10)).map((found) => [found.id, found.kind, found.status]),
        [[b, 'two', 'running']]);
      assert.deepEqual((await insight.jobs({ status: 'queued', kind: 'two' }, undefined, 10)), []);
    });
  });
}

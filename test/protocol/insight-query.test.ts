import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { AccessFixtures, pushImage } from '../support/access-fixtures.js';
import {
  ApiClient, adminPassword, basic, createUser, errorMessage, expectStatus, setRole, startApiBerth, walk, type ApiBerth,
} from '../support/api-client.js';
import {
  blobOf, buildArtifact, buildIndex, finish, mediaTypes, pushIndex, pushManifest, type BuiltManifest,
} from '../support/image-builder.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { eventually } from '../support/registry-client.js';

interface Row {
  repository: string; tag: string; digest: string; mediaType: string; artifactType: string | null; size: number;
  platforms: { digest: string; os: string; architecture: string; variant: string | null }[]; pushedAt: string; created: string | null;
  lastPulledAt: string | null; pulls: number; tagPulls: number; labels: Record<string, string>;
}

interface ImageOptions {
  readonly labels?: Record<string, string>;
  readonly created?: string;
  readonly architecture?: string;
  readonly variant?: string;
  readonly annotations?: Record<string, string>;
  readonly layerBytes?: number;
}

/** An OCI image whose config carries labels, a created time and a platform, with one random layer. */
function image(options: ImageOptions = {}): BuiltManifest {
  const layer = blobOf(randomBytes(options.layerBytes ?? 64), mediaTypes.ociLayer);
  const config = blobOf(JSON.stringify({
    architecture: options.architecture ?? 'amd64', os: 'linux', ...(options.variant && { variant: options.variant }),
    ...(options.created && { created: options.created }),
    config: { Labels: options.labels ?? {}, Env: ['PATH=/usr/bin'] },
    rootfs: { type: 'layers', diff_ids: [layer.descriptor.digest] },
  }), mediaTypes.ociConfig);
  return finish({
    schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: config.descriptor, layers: [layer.descriptor],
    ...(options.annotations && { annotations: options.annotations }),
  }, mediaTypes.ociManifest, [config, layer]);
}

/** Waits until the clock has moved past the last push, so that push times tell pushes apart. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() === now) await sleep(1);
}

const names = (rows: readonly Row[]): string[] => rows.map((row) => `${row.repository}:${row.tag}`);

/**
 * The query API over an open registry (access control off: everyone reads everything): every filter of
 * /api/v1/artifacts, tag lists sorted and paged, "latest" by semver, push and created time and per platform, usage
 * after pulls, and the artifact page of an index with its referrers.
 */
describe('insight API: queries, tag lists, latest and usage', () => {
  let registry: InProcessBerth;
  let api: ApiClient;
  const images: Record<string, BuiltManifest> = {};
  let index: BuiltManifest;

  const rows = async (query: string): Promise<Row[]> => expectStatus(await api.get(`/api/v1/artifacts?n=1000&${query}`), 200).body.items;
  const found = async (query: string): Promise<string[]> => names(await rows(query));

  before(async () => {
    registry = await startInProcess();
    api = new ApiClient(registry.url, undefined);
    const url = registry.url;
    images.a = image({
      labels: { tier: 'web', team: 'a' }, created: '2024-01-01T00:00:00Z', annotations: { 'org.opencontainers.image.source': 'https://git.example/web' },
      layerBytes: 4096,
    });
    images.b = image({ labels: { tier: 'web' }, created: '2024-03-01T00:00:00Z' });
    images.c = image({ labels: { tier: 'web' }, created: '2024-02-01T00:00:00Z' });
    images.d = image({ labels: { tier: 'web', stage: 'rc' }, created: '2024-05-01T00:00:00Z' });
    for (const [tag, built] of [['1.0.0', images.a], ['1.2.0', images.b], ['1.10.0', images.c], ['2.0.0-rc.1', images.d]] as const) {
      await pushManifest(url, 'team/web', tag, built);
      await nextMillisecond();
    }
    await pushManifest(url, 'team/web', 'latest', images.b);
    // The same image in a second repository of the project: its blobs are stored once.
    await pushManifest(url, 'team/copy', '1.0.0', images.a);

    const amd = image({ labels: { tier: 'multi', arch: 'amd' }, created: '2024-04-01T00:00:00Z' });
    const arm = image({ labels: { tier: 'multi', arch: 'arm' }, architecture: 'arm64', variant: 'v8', created: '2024-04-02T00:00:00Z' });
    images.amd = amd;
    images.arm = arm;
    index = buildIndex([amd, arm]);
    await pushManifest(url, 'team/multi', '2.0.0', image({ created: '2023-01-01T00:00:00Z' }));
    await pushIndex(url, 'team/multi', '3.0.0', index, [amd, arm]);
    await pushManifest(url, 'team/multi', '4.0.0', image({ architecture: 'arm64', variant: 'v8', created: '2024-06-01T00:00:00Z' }));
    await pushManifest(url, 'team/multi', 'sbom', buildArtifact(index.descriptor, 'application/spdx+json'));
    await pushManifest(url, 'team/multi', 'sig', buildArtifact(index.descriptor, 'application/vnd.dev.cosign.artifact.sig.v1+json'));
    await pushManifest(url, 'other/app', 'v1', buildArtifact(undefined, 'application/vnd.example.report'));
  });
  after(async () => { await registry.close(); });

  describe('GET /api/v1/artifacts', () => {
    it('answers every tag an anonymous caller may see on an open registry, in repository and tag order', async () => {
      assert.deepEqual(await found(''), [
        'other/app:v1', 'team/copy:1.0.0',
        'team/multi:2.0.0', 'team/multi:3.0.0', 'team/multi:4.0.0', 'team/multi:sbom', 'team/multi:sig',
        'team/web:1.0.0', 'team/web:1.10.0', 'team/web:1.2.0', 'team/web:2.0.0-rc.1', 'team/web:latest',
      ]);
      const [row] = await rows('repository=team/web&tag=1.0.0');
      assert.deepEqual(Object.keys(row!).sort(), [
        'artifactType', 'created', 'digest', 'labels', 'lastPulledAt', 'mediaType', 'platforms', 'pulls', 'pushedAt', 'quarantined', 'repository', 'size',
        'tag', 'tagPulls',
      ].sort());
      assert.deepEqual(row!.labels, { tier: 'web', team: 'a' });
      assert.equal(row!.created, '2024-01-01T00:00:00.000Z');
      assert.deepEqual(row!.platforms, [{ digest: images.a!.digest, os: 'linux', architecture: 'amd64', variant: null }]);
      assert.equal(row!.size, images.a!.size + images.a!.blobs.reduce((sum, blob) => sum + blob.bytes.length, 0), 'manifest, config and layers');
    });

    it('filters by labels: key=value, key present, and several that must all hold; an index by its platforms\' labels', async () => {
      assert.deepEqual(await found('label=tier=web'),
        ['team/copy:1.0.0', 'team/web:1.0.0', 'team/web:1.10.0', 'team/web:1.2.0', 'team/web:2.0.0-rc.1', 'team/web:latest']);
      assert.deepEqual(await found('label=stage'), ['team/web:2.0.0-rc.1']);
      assert.deepEqual(await found('label=tier=web&label=team=a'), ['team/copy:1.0.0', 'team/web:1.0.0']);
      assert.deepEqual(await found('label=tier=web&label=team=b'), []);
      assert.deepEqual(await found('label=arch=arm'), ['team/multi:3.0.0']);
      assert.deepEqual(await found(`label=${encodeURIComponent('tier=web=x')}`), [], 'the first = splits key from value');
    });

    it('filters by annotations, key=value and key present', async () => {
      assert.deepEqual(await found('annotation=org.opencontainers.image.source'), ['team/copy:1.0.0', 'team/web:1.0.0']);
      const source = encodeURIComponent('org.opencontainers.image.source=https://git.example/web');
      assert.deepEqual(await found(`annotation=${source}&repository=team/web`), ['team/web:1.0.0']);
      assert.deepEqual(await found('annotation=org.opencontainers.image.source=elsewhere'), []);
      assert.deepEqual(await found('annotation=tier'), [], 'a label is no annotation');
    });

    it('filters by platform, with or without variant; an index runs on each of its children\'s', async () => {
      assert.deepEqual(await found('platform=linux/arm64'), ['team/multi:3.0.0', 'team/multi:4.0.0']);
      assert.deepEqual(await found('platform=linux/arm64/v8'), ['team/multi:3.0.0', 'team/multi:4.0.0']);
      assert.deepEqual(await found('platform=linux/arm64/v7'), []);
      assert.deepEqual(await found('platform=linux/amd64&repository=team/multi'), ['team/multi:2.0.0', 'team/multi:3.0.0']);
    });

    it('filters by media type and artifact type', async () => {
      assert.deepEqual(await found(`mediaType=${encodeURIComponent(mediaTypes.ociIndex)}`), ['team/multi:3.0.0']);
      assert.deepEqual(await found('artifactType=application/vnd.example.report'), ['other/app:v1']);
      assert.deepEqual(await found(`artifactType=${encodeURIComponent('application/spdx+json')}`), ['team/multi:sbom']);
    });

    it('filters by project, repository glob and tag glob', async () => {
      assert.deepEqual(await found('project=other'), ['other/app:v1']);
      assert.deepEqual(await found('repository=team/m*'), ['team/multi:2.0.0', 'team/multi:3.0.0', 'team/multi:4.0.0', 'team/multi:sbom', 'team/multi:sig']);
      assert.deepEqual(await found('repository=**/app'), ['other/app:v1']);
      assert.deepEqual(await found('repository=team&project=team'), [], 'a glob matches whole names');
      assert.deepEqual(await found('tag=1.*'), ['team/copy:1.0.0', 'team/web:1.0.0', 'team/web:1.10.0', 'team/web:1.2.0']);
      assert.deepEqual(await found('tag=?.0.0&repository=team/web'), ['team/web:1.0.0']);
      assert.deepEqual(await found('tag=s*&repository=team/**&project=team'), ['team/multi:sbom', 'team/multi:sig']);
    });

    it('filters by push time range (from inclusive, to exclusive) and by size', async () => {
      const all = await rows('');
      const times = [...new Set(all.map((row) => Date.parse(row.pushedAt)))].sort((a, b) => a - b);
      const middle = times[Math.floor(times.length / 2)]!;
      const at = new Date(middle).toISOString();
      assert.deepEqual(await found(`pushedAfter=${at}`), names(all.filter((row) => Date.parse(row.pushedAt) >= middle)));
      assert.deepEqual(await found(`pushedBefore=${middle}`), names(all.filter((row) => Date.parse(row.pushedAt) < middle)));
      assert.ok((await found(`pushedAfter=${at}`)).length > 0 && (await found(`pushedBefore=${at}`)).length > 0);
      const sizes = all.map((row) => row.size).sort((a, b) => a - b);
      const size = sizes[Math.floor(sizes.length / 2)]!;
      assert.deepEqual(await found(`minSize=${size}`), names(all.filter((row) => row.size >= size)));
      assert.deepEqual(await found(`maxSize=${size - 1}`), names(all.filter((row) => row.size < size)));
      assert.deepEqual(await found(`minSize=${sizes[sizes.length - 1]! + 1}`), []);
    });

    it('sorts by name, push time, size and pull time, each way, and pages with Link headers without gap or repeat', async () => {
      const all = await rows('');
      for (const sort of ['name', 'pushed', 'size', 'pulled'] as const) {
        for (const order of ['asc', 'desc'] as const) {
          const whole = await rows(`sort=${sort}&order=${order}`);
          assert.deepEqual(new Set(names(whole)), new Set(names(all)), `${sort} ${order} holds every row`);
          const value = (row: Row): number | string => ({
            name: `${row.repository}\n${row.tag}`, pushed: Date.parse(row.pushedAt), size: row.size,
            pulled: Date.parse(row.lastPulledAt ?? '1970-01-01T00:00:00Z'),
          })[sort];
          for (let i = 1; i < whole.length; i++) {
            const [before, now] = [value(whole[i - 1]!), value(whole[i]!)];
            assert.ok(order === 'asc' ? before <= now : before >= now, `${sort} ${order}: ${names(whole).join(' ')}`);
          }
          const paged = await walk<Row>(api, `/api/v1/artifacts?sort=${sort}&order=${order}&n=5`);
          assert.deepEqual(names(paged.items), names(whole), `${sort} ${order} in pages of 5`);
          assert.ok(paged.pages.length >= 3);
        }
      }
      const labelled = await walk<Row>(api, '/api/v1/artifacts?label=tier=web&label=team=a&n=1');
      assert.deepEqual(names(labelled.items), ['team/copy:1.0.0', 'team/web:1.0.0'], 'the Link header repeats repeated parameters');
      assert.match(labelled.links[0]!, /label=tier%3Dweb&label=team%3Da/);
    });
  });

  describe('GET /api/v1/tags', () => {
    const tags = async (query: string): Promise<string[]> =>
      (expectStatus(await api.get(`/api/v1/tags?repository=team/web&${query}`), 200).body.items as Row[]).map((row) => row.tag);

    it('sorts by version: numerically, pre-releases before their release, other tags last; newest first by default', async () => {
      assert.deepEqual(await tags('sort=version&order=asc'), ['1.0.0', '1.2.0', '1.10.0', '2.0.0-rc.1', 'latest']);
      assert.deepEqual(await tags('sort=version'), ['2.0.0-rc.1', '1.10.0', '1.2.0', '1.0.0', 'latest']);
      assert.deepEqual(await tags(''), ['1.0.0', '1.10.0', '1.2.0', '2.0.0-rc.1', 'latest'], 'by name by default');
    });

    it('sorts by push time, and pages by Link in every sort without gap or repeat', async () => {
      assert.deepEqual(await tags('sort=pushed&order=asc'), ['1.0.0', '1.2.0', '1.10.0', '2.0.0-rc.1', 'latest']);
      for (const sort of ['name', 'version', 'pushed', 'pulled']) {
        for (const order of ['asc', 'desc']) {
          const whole = await tags(`sort=${sort}&order=${order}`);
          const paged = await walk<Row>(api, `/api/v1/tags?repository=team/web&sort=${sort}&order=${order}&n=2`);
          assert.deepEqual(paged.items.map((row) => row.tag), whole, `${sort} ${order}`);
          assert.deepEqual(paged.pages, [2, 2, 1]);
        }
      }
    });

    it('filters by pattern', async () => {
      assert.deepEqual(await tags('pattern=1.*&sort=version&order=asc'), ['1.0.0', '1.2.0', '1.10.0']);
      assert.deepEqual(await tags('pattern=*-rc*'), ['2.0.0-rc.1']);
    });

    it('answers 404 NAME_UNKNOWN for a repository that does not exist', async () => {
      expectStatus(await api.get('/api/v1/tags?repository=team/none'), 404, 'NAME_UNKNOWN');
    });
  });

  describe('GET /api/v1/latest', () => {
    const latest = async (query: string) => expectStatus(await api.get(`/api/v1/latest?${query}`), 200).body;

    it('by semver: the highest released version, pre-releases only when asked for, within a range', async () => {
      assert.deepEqual(await latest('repository=team/web'), {
        repository: 'team/web', tag: '1.10.0', digest: images.c!.digest, by: 'semver', version: '1.10.0', platformDigest: null,
        pushedAt: (await latest('repository=team/web')).pushedAt, created: '2024-02-01T00:00:00.000Z',
      });
      assert.equal((await latest('repository=team/web&prerelease=true')).tag, '2.0.0-rc.1');
      assert.equal((await latest(`repository=team/web&range=${encodeURIComponent('~1.2.0')}`)).tag, '1.2.0');
      assert.equal((await latest(`repository=team/web&range=${encodeURIComponent('>=1.0.0 <1.2.0')}`)).tag, '1.0.0');
      assert.equal((await latest(`repository=team/web&range=${encodeURIComponent('^2.0.0-0')}&prerelease=true`)).tag, '2.0.0-rc.1');
    });

    it('by push time and by the image config\'s created time', async () => {
      const pushed = await latest('repository=team/web&by=pushed');
      assert.deepEqual([pushed.tag, pushed.digest], ['latest', images.b!.digest]);
      assert.equal((await latest('repository=team/web&by=created')).tag, '2.0.0-rc.1');
      assert.equal((await latest('repository=team/multi&by=created')).tag, '4.0.0');
    });

    it('per platform: only tags whose artifact runs there, naming that platform\'s manifest', async () => {
      const arm = await latest('repository=team/multi&platform=linux/arm64');
      assert.deepEqual([arm.tag, arm.platformDigest], ['4.0.0', (await rows('repository=team/multi&tag=4.0.0'))[0]!.digest]);
      const amd = await latest('repository=team/multi&platform=linux/amd64');
      assert.deepEqual([amd.tag, amd.digest, amd.platformDigest], ['3.0.0', index.digest, images.amd!.digest]);
      assert.equal((await latest('repository=team/multi&platform=linux/arm64/v8&by=created')).tag, '4.0.0');
    });

    it('gives the same answer on every call until a push changes it', async () => {
      const answers = await Promise.all(Array.from({ length: 5 }, () => latest('repository=team/web')));
      assert.equal(new Set(answers.map((answer) => JSON.stringify(answer))).size, 1);
    });

    it('answers 404 NOT_FOUND saying why when no tag qualifies', async () => {
      const none = expectStatus(await api.get(`/api/v1/latest?repository=team/web&range=${encodeURIComponent('>=5')}`), 404, 'NOT_FOUND');
      assert.match(errorMessage(none), /team\/web has no tag that answers "latest" by semver in the range >=5/);
      expectStatus(await api.get('/api/v1/latest?repository=team/multi&platform=linux/s390x'), 404, 'NOT_FOUND');
      expectStatus(await api.get('/api/v1/latest?repository=other/app'), 404, 'NOT_FOUND');
    });
  });

  describe('usage figures', () => {
    it('counts pulls by tag and by digest per digest, per tag, per repository and per project; stores shared blobs once', async () => {
      const pull = async (reference: string) => {
        const response = await fetch(`${registry.url}/v2/team/web/manifests/${reference}`, { headers: { accept: mediaTypes.ociManifest } });
        assert.equal(response.status, 200);
        await response.arrayBuffer();
      };
      await pull('1.0.0');
      await pull('1.0.0');
      await pull(images.a!.digest);
      await pull('latest');
      // Pull figures arrive through the outbox, in batches.
      await eventually('the pulls to be counted', async () => {
        const summary = expectStatus(await api.get('/api/v1/repository?name=team/web'), 200).body as { pulls: number };
        return summary.pulls === 4 ? summary : undefined;
      }, { attempts: 600, intervalMs: 50 });
      const row = (await rows('repository=team/web&tag=1.0.0'))[0]!;
      assert.equal(row.pulls, 3, 'pulls by tag and by digest');
      assert.equal(row.tagPulls, 2, 'pulls through the tag itself');
      assert.ok(row.lastPulledAt !== null);
      assert.deepEqual(await found('pulledAfter=2000-01-01T00:00:00Z'), ['team/web:1.0.0', 'team/web:1.2.0', 'team/web:latest']);
      const copy = (await rows('repository=team/copy'))[0]!;
      assert.equal(copy.pulls, 0, 'figures are per repository');
      assert.deepEqual(await found(`pulledBefore=${Date.parse(row.lastPulledAt!)}&repository=team/web`),
        ['team/web:1.10.0', 'team/web:2.0.0-rc.1'], 'never pulled is before any time');
      const pulledFirst = await tagsSortedByPull();
      assert.equal(pulledFirst.length, 5);
      assert.deepEqual(new Set(pulledFirst.slice(0, 3)), new Set(['1.0.0', '1.2.0', 'latest']), 'pulled tags before never-pulled ones');

      const repository = expectStatus(await api.get('/api/v1/repository?name=team/web'), 200).body;
      assert.equal(repository.pulls, 4);
      assert.equal(repository.tagCount, 5);
      const usage = expectStatus(await api.get('/api/v1/projects/team/usage'), 200).body;
      assert.equal(usage.project, 'team');
      assert.equal(usage.repositories, 3);
      assert.equal(usage.pulls, 4);
      assert.ok(usage.storedBytes > 0);
      assert.ok(usage.storedBytes < usage.logicalBytes, 'team/copy shares team/web\'s blobs and manifest');
      assert.equal(usage.savedByDeduplication, usage.logicalBytes - usage.storedBytes);
      assert.ok(usage.savedByDeduplication >= images.a!.size + images.a!.blobs.reduce((sum, blob) => sum + blob.bytes.length, 0));
      const repositories = expectStatus(await api.get('/api/v1/projects/team/repositories'), 200).body.items;
      assert.deepEqual(repositories.map((summary: { name: string }) => summary.name), ['team/copy', 'team/multi', 'team/web']);
    });

    async function tagsSortedByPull(): Promise<string[]> {
      return (expectStatus(await api.get('/api/v1/tags?repository=team/web&sort=pulled'), 200).body.items as Row[]).map((row) => row.tag);
    }
  });

  describe('GET /api/v1/artifact', () => {
    it('describes an index: each platform with its config labels and layers, referrers grouped by kind', async () => {
      const detail = expectStatus(await api.get('/api/v1/artifact?repository=team/multi&reference=3.0.0'), 200).body;
      assert.equal(detail.digest, index.digest);
      assert.equal(detail.mediaType, mediaTypes.ociIndex);
      assert.deepEqual(detail.tags, ['3.0.0']);
      assert.deepEqual(detail.platforms.map((p: { os: string; architecture: string; variant: string | null }) => `${p.os}/${p.architecture}/${p.variant}`),
        ['linux/amd64/null', 'linux/arm64/v8']);
      assert.deepEqual(detail.platforms.map((p: { config: { labels: Record<string, string> } }) => p.config.labels),
        [{ tier: 'multi', arch: 'amd' }, { tier: 'multi', arch: 'arm' }]);
      for (const [i, child] of [images.amd!, images.arm!].entries()) {
        assert.equal(detail.platforms[i].digest, child.digest);
        assert.deepEqual(detail.platforms[i].layers, [{ digest: child.blobs[1]!.descriptor.digest, mediaType: mediaTypes.ociLayer, size: 64 }]);
        assert.deepEqual(detail.platforms[i].config.env, ['PATH=/usr/bin']);
      }
      assert.deepEqual(detail.referrers.map((r: { group: string; artifactType: string }) => `${r.group} ${r.artifactType}`).sort(),
        ['sbom application/spdx+json', 'signature application/vnd.dev.cosign.artifact.sig.v1+json']);
      assert.equal(detail.quarantine, null);
      assert.equal(detail.manifest.mediaType, mediaTypes.ociIndex);
    });

    it('describes an image by digest with its annotations and pulls', async () => {
      const detail = expectStatus(await api.get(`/api/v1/artifact?repository=team/web&reference=${images.a!.digest}`), 200).body;
      assert.deepEqual(detail.tags, ['1.0.0']);
      assert.deepEqual(detail.annotations, { 'org.opencontainers.image.source': 'https://git.example/web' });
      assert.equal(detail.platforms.length, 1);
      assert.equal(detail.platforms[0].config.created, '2024-01-01T00:00:00.000Z');
      expectStatus(await api.get('/api/v1/artifact?repository=team/web&reference=9.9.9'), 404, 'MANIFEST_UNKNOWN');
    });
  });

  it('searches repositories, tags and labels', async () => {
    const hits = expectStatus(await api.get('/api/v1/search?q=multi'), 200).body;
    assert.deepEqual(hits.repositories, [{ name: 'team/multi', project: 'team' }]);
    assert.ok(hits.labels.some((hit: { tag: string; key: string }) => hit.tag === '3.0.0' && hit.key === 'tier'));
  });
});

/**
 * With access control on, the query API shows what /v2/ would let the caller pull, and its one change (deleting a
 * tag or an artifact) follows /v2/'s roles and the API's CSRF rules.
 */
describe('insight API: access control', () => {
  let berth: ApiBerth;
  let url: string;
  let developer: ApiClient;
  let outsider: ApiClient;
  let maintainer: ApiClient;
  const adminAuth = basic('admin', adminPassword);
  const digests: Record<string, string> = {};

  before(async () => {
    berth = await startApiBerth();
    url = berth.registry.url;
    const fixtures = new AccessFixtures(berth.registry.berth);
    await fixtures.project('pub', true);
    await fixtures.project('priv', false);
    for (const [repository, tag] of [['pub/app', 'v1'], ['priv/app', 'v1'], ['priv/app', 'v2'], ['priv/app', 'v3'], ['priv/app', 'v4']] as const) {
      digests[`${repository}:${tag}`] = await pushImage(url, repository, tag, adminAuth);
    }
    developer = await createUser(berth.admin, 'dev');
    outsider = await createUser(berth.admin, 'outsider');
    maintainer = await createUser(berth.admin, 'maint');
    await setRole(berth.admin, 'priv', 'user', 'dev', 'developer');
    await setRole(berth.admin, 'priv', 'user', 'maint', 'maintainer');
  });
  after(async () => { await berth.close(); });

  const visible = async (client: ApiClient): Promise<string[]> =>
    names(expectStatus(await client.get('/api/v1/artifacts'), 200).body.items);

  it('shows anonymous callers and outsiders public projects only, and a member their project too', async () => {
    assert.deepEqual(await visible(berth.anonymous), ['pub/app:v1']);
    assert.deepEqual(await visible(outsider), ['pub/app:v1']);
    assert.deepEqual(await visible(developer), ['priv/app:v1', 'priv/app:v2', 'priv/app:v3', 'priv/app:v4', 'pub/app:v1']);
    assert.equal((await visible(berth.admin)).length, 5);
    expectStatus(await berth.anonymous.get('/api/v1/tags?repository=pub/app'), 200);
    expectStatus(await berth.anonymous.get('/api/v1/latest?repository=pub/app&by=pushed'), 200);
    expectStatus(await developer.get('/api/v1/tags?repository=priv/app'), 200);
    expectStatus(await developer.get('/api/v1/projects/priv/usage'), 200);
  });

  it('answers a private repository as if it did not exist: 404 NAME_UNKNOWN (a project: NOT_FOUND)', async () => {
    for (const client of [berth.anonymous, outsider]) {
      expectStatus(await client.get('/api/v1/tags?repository=priv/app'), 404, 'NAME_UNKNOWN');
      expectStatus(await client.get('/api/v1/latest?repository=priv/app'), 404, 'NAME_UNKNOWN');
      expectStatus(await client.get('/api/v1/repository?name=priv/app'), 404, 'NAME_UNKNOWN');
      expectStatus(await client.get('/api/v1/artifact?repository=priv/app&reference=v1'), 404, 'NAME_UNKNOWN');
      expectStatus(await client.get('/api/v1/projects/priv/usage'), 404, 'NOT_FOUND');
      expectStatus(await client.get('/api/v1/projects/priv/repositories'), 404, 'NOT_FOUND');
      const hits = expectStatus(await client.get('/api/v1/search?q=app'), 200).body;
      assert.deepEqual(hits.repositories, [{ name: 'pub/app', project: 'pub' }]);
    }
    expectStatus(await berth.anonymous.get('/api/v1/tags?repository=priv/none'), 404, 'NAME_UNKNOWN');
  });

  it('refuses bad credentials with 401 rather than answering as anonymous', async () => {
    const wrong = berth.anonymous.as({ username: 'dev', password: 'not-the-password' });
    expectStatus(await wrong.get('/api/v1/artifacts'), 401, 'UNAUTHORIZED');
    expectStatus(await wrong.get('/api/v1/tags?repository=pub/app'), 401, 'UNAUTHORIZED');
  });

  it('lists jobs to system administrators only', async () => {
    expectStatus(await berth.admin.get('/api/v1/jobs'), 200);
    expectStatus(await developer.get('/api/v1/jobs'), 403, 'DENIED');
    expectStatus(await berth.anonymous.get('/api/v1/jobs'), 401, 'UNAUTHORIZED');
  });

  describe('DELETE /api/v1/artifact', () => {
    const manifestStatus = async (reference: string): Promise<number> => {
      const response = await fetch(`${url}/v2/priv/app/manifests/${reference}`, { method: 'HEAD', headers: { authorization: adminAuth } });
      return response.status;
    };

    it('refuses those who may not delete: anonymous 401, an outsider as if nothing were there, a developer 403', async () => {
      expectStatus(await berth.anonymous.delete('/api/v1/artifact?repository=priv/app&reference=v1'), 401, 'UNAUTHORIZED');
      expectStatus(await outsider.delete('/api/v1/artifact?repository=priv/app&reference=v1'), 404, 'NAME_UNKNOWN');
      const refused = expectStatus(await developer.delete('/api/v1/artifact?repository=priv/app&reference=v1'), 403, 'DENIED');
      assert.match(errorMessage(refused), /maintainer/);
      expectStatus(await outsider.delete('/api/v1/artifact?repository=pub/app&reference=v1'), 403, 'DENIED');
      assert.equal(await manifestStatus('v1'), 200);
    });

    it('deletes a tag for a maintainer, leaving the manifest, then a manifest by digest with its tags', async () => {
      const byTag = expectStatus(await maintainer.delete('/api/v1/artifact?repository=priv/app&reference=v1'), 200).body;
      assert.deepEqual(byTag, { repository: 'priv/app', reference: 'v1', digest: digests['priv/app:v1'] });
      assert.equal(await manifestStatus('v1'), 404);
      assert.equal(await manifestStatus(digests['priv/app:v1']!), 200, 'the manifest stays');
      const digest = digests['priv/app:v2']!;
      const byDigest = expectStatus(await maintainer.delete(`/api/v1/artifact?repository=priv/app&reference=${digest}`), 200).body;
      assert.equal(byDigest.digest, digest);
      assert.equal(await manifestStatus(digest), 404);
      assert.equal(await manifestStatus('v2'), 404);
      expectStatus(await maintainer.delete('/api/v1/artifact?repository=priv/app&reference=v2'), 404, 'MANIFEST_UNKNOWN');
      assert.ok(!(await visible(maintainer)).includes('priv/app:v2'), 'the query API no longer lists it');
    });

    it('takes a browser session\'s delete only with the CSRF header, and never one another site sent', async () => {
      const login = await fetch(`${url}/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'maint', password: 'maint-password' }),
      });
      assert.equal(login.status, 200, await login.text());
      const cookies = new Map(login.headers.getSetCookie().map((line) => {
        const pair = line.split(';')[0]!;
        return [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as const;
      }));
      const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      const csrf = cookies.get('berth_csrf')!;
      assert.ok(csrf);
      const session = berth.anonymous.as({ cookie });
      expectStatus(await session.get('/api/v1/tags?repository=priv/app'), 200, undefined);
      expectStatus(await session.delete('/api/v1/artifact?repository=priv/app&reference=v3'), 403, 'DENIED');
      expectStatus(await session.delete('/api/v1/artifact?repository=priv/app&reference=v3', { 'x-berth-csrf': 'forged' }), 403, 'DENIED');
      const crossSite = { 'x-berth-csrf': csrf, 'sec-fetch-site': 'cross-site' };
      expectStatus(await session.delete('/api/v1/artifact?repository=priv/app&reference=v3', crossSite), 403, 'DENIED');
      assert.equal(await manifestStatus('v3'), 200, 'nothing was deleted');
      expectStatus(await session.delete('/api/v1/artifact?repository=priv/app&reference=v3', { 'x-berth-csrf': csrf }), 200);
      assert.equal(await manifestStatus('v3'), 404);
      expectStatus(await maintainer.delete('/api/v1/artifact?repository=priv/app&reference=v4', { 'sec-fetch-site': 'cross-site' }), 403, 'DENIED');
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { digestOfTag, pushTinyImage as pushImage } from '../support/registry-client.js';

/*
 * Manifest reads and listings are answered from an in-process cache between writes. These tests pin that a cached
 * answer never outlives a write: one made by the same process, or by another process on the same database.
 */

async function tagsOf(url: string, repository: string): Promise<string[]> {
  return ((await (await fetch(`${url}/v2/${repository}/tags/list`)).json()) as { tags: string[] }).tags;
}

describe('read caches within one process', () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  it('serves a moved tag at once, by GET and HEAD', async () => {
    const first = await pushImage(registry.url, 'cache/app', 'latest', 'one');
    assert.equal(await digestOfTag(registry.url, 'cache/app', 'latest'), first);
    assert.equal(await digestOfTag(registry.url, 'cache/app', 'latest', 'HEAD'), first);
    const second = await pushImage(registry.url, 'cache/app', 'latest', 'two');
    assert.equal(await digestOfTag(registry.url, 'cache/app', 'latest'), second);
    assert.equal(await digestOfTag(registry.url, 'cache/app', 'latest', 'HEAD'), second);
  });

  it('forgets a deleted tag and a deleted manifest at once', async () => {
    const digest = await pushImage(registry.url, 'cache/gone', 'v1', 'gone');
    assert.equal(await digestOfTag(registry.url, 'cache/gone', 'v1'), digest);
    assert.equal(await digestOfTag(registry.url, 'cache/gone', digest), digest);
    assert.equal((await fetch(`${registry.url}/v2/cache/gone/manifests/v1`, { method: 'DELETE' })).status, 202);
    assert.equal(await digestOfTag(registry.url, 'cache/gone', 'v1'), 404);
    assert.equal(await digestOfTag(registry.url, 'cache/gone', digest), digest);
    assert.equal((await fetch(`${registry.url}/v2/cache/gone/manifests/${digest}`, { method: 'DELETE' })).status, 202);
    assert.equal(await digestOfTag(registry.url, 'cache/gone', digest), 404);
  });

  it('serves a manifest pushed after a miss was answered', async () => {
    assert.equal(await digestOfTag(registry.url, 'cache/late', 'v1'), 404);
    const digest = await pushImage(registry.url, 'cache/late', 'v1', 'late');
    assert.equal(await digestOfTag(registry.url, 'cache/late', 'v1'), digest);
  });

  it('lists a new tag and a new repository at once', async () => {
    await pushImage(registry.url, 'cache/list', 'a', 'a');
    assert.deepEqual(await tagsOf(registry.url, 'cache/list'), ['a']);
    await pushImage(registry.url, 'cache/list', 'b', 'b');
    assert.deepEqual(await tagsOf(registry.url, 'cache/list'), ['a', 'b']);
    const before = ((await (await fetch(`${registry.url}/v2/_catalog`)).json()) as { repositories: string[] }).repositories;
    await pushImage(registry.url, 'cache/zzz', 'v1', 'z');
    const afterPush = ((await (await fetch(`${registry.url}/v2/_catalog`)).json()) as { repositories: string[] }).repositories;
    assert.deepEqual(afterPush, [...before, 'cache/zzz'].sort());
  });
});

describe('read caches across two processes on one database', { timeout: 120_000 }, () => {
  let reader: BerthProcess;
  let writer: BerthProcess;
  before(async () => {
    reader = await startBerthProcess();
    writer = await startBerthProcess({ dataDir: reader.dataDir });
  });
  after(async () => {
    await writer.stop();
    await reader.stop();
    removeDataDir(reader.dataDir);
  });

  it('never serves a tag that the other process has moved or deleted', async () => {
    const first = await pushImage(writer.url, 'shared/app', 'latest', 'one');
    assert.equal(await digestOfTag(reader.url, 'shared/app', 'latest'), first);
    assert.equal(await digestOfTag(reader.url, 'shared/app', 'latest'), first);
    const second = await pushImage(writer.url, 'shared/app', 'latest', 'two');
    assert.equal(await digestOfTag(reader.url, 'shared/app', 'latest'), second);
    assert.equal((await fetch(`${writer.url}/v2/shared/app/manifests/latest`, { method: 'DELETE' })).status, 202);
    assert.equal(await digestOfTag(reader.url, 'shared/app', 'latest'), 404);
  });

  it('lists tags the other process pushed', async () => {
    await pushImage(writer.url, 'shared/list', 'one', '1');
    assert.deepEqual(await tagsOf(reader.url, 'shared/list'), ['one']);
    await pushImage(writer.url, 'shared/list', 'two', '2');
    assert.deepEqual(await tagsOf(reader.url, 'shared/list'), ['one', 'two']);
  });
});

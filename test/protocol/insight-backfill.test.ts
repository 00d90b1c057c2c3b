import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { createBerth, type Berth } from '../../src/app.js';
import { configSchema } from '../../src/config/config-schema.js';
import { blobOf, buildImage, buildIndex, mediaTypes, pushIndex, pushManifest } from '../support/image-builder.js';

/** Starts Berth on a data folder of its own choosing, so a test can stop it and start it again on the same data. */
async function start(dataDir: string): Promise<{ berth: Berth; url: string }> {
  const berth = await createBerth(configSchema.parse({ listen: '127.0.0.1:0', dataDir }), pino({ level: 'silent' }));
  const { port } = await berth.listen();
  return { berth, url: `http://127.0.0.1:${port}` };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('facts of manifests pushed before Berth kept them', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-backfill-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('are learnt by a job after an upgrade, images first and then the indexes over them', async () => {
    const config = (arch: string) => blobOf(JSON.stringify({ architecture: arch, os: 'linux', created: '2024-05-01T00:00:00Z', config: { Labels: { stage: 'old' } } }), mediaTypes.ociConfig);
    const amd = buildImage({ config: config('amd64') });
    const arm = buildImage({ config: config('arm64') });
    const index = buildIndex([amd, arm]);
    let running = await start(dataDir);
    try {
      assert.equal((await pushManifest(running.url, 'team/old', amd.digest, amd)).status, 201);
      assert.equal((await pushManifest(running.url, 'team/old', arm.digest, arm)).status, 201);
      assert.equal((await pushIndex(running.url, 'team/old', '1.0.0', index, [])).status, 201);
    } finally {
      await running.berth.close();
    }
    // What a Berth from before migration 0007 leaves: manifests without facts.
    const db = new Database(join(dataDir, 'berth.db'));
    db.exec('DELETE FROM artifact_properties; DELETE FROM artifact_platforms; DELETE FROM artifacts;');
    db.close();

    running = await start(dataDir);
    try {
      const found = await eventually('the backfilled index to match a label and a platform', async () => {
        const response = await fetch(`${running.url}/api/v1/artifacts?label=stage=old&platform=linux/arm64`);
        const body = await response.json() as { items: { tag: string; digest: string; created: string | null; platforms: unknown[] }[] };
        return body.items.length > 0 ? body.items : undefined;
      });
      assert.deepEqual(found.map((row) => [row.tag, row.digest, row.created, row.platforms.length]),
        [['1.0.0', index.digest, '2024-05-01T00:00:00.000Z', 2]]);
    } finally {
      await running.berth.close();
    }
  });
});

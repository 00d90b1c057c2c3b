/*
 * A full disk, for real: Berth's blob storage lives on a 2 MiB tmpfs mounted for this test (which needs root, and
 * is skipped with the reason otherwise). A push that does not fit is answered 507 STORAGE_FULL in the spec's error
 * format, saying what an administrator must do; the failure is logged at error level; nothing partial is left; and
 * once there is room again, the same push succeeds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createBerth, type Berth } from '../../src/app.js';
import { configSchema } from '../../src/config/config-schema.js';
import {
  assertError, completeUpload, headBlobStatus, patchChunk, postBlob, pullBlob, randomBlob, sha256, startUpload, uniqueRepo,
  uploadFiles, uploadStatus,
} from '../support/registry-client.js';

const dataDir = mkdtempSync(join(tmpdir(), 'berth-full-'));
const storage = join(dataDir, 'storage');
/** Takes most of the 2 MiB, so that what is left is known: the test frees it to make room again. */
const filler = join(storage, 'filler');

function mountTmpfs(): string | undefined {
  mkdirSync(storage, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', storage], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    return `a 2 MiB tmpfs could not be mounted (needs root): ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

const skip = mountTmpfs();

describe('a full blob storage', { skip, timeout: 120_000 }, () => {
  let berth: Berth;
  let url: string;
  const logLines: Record<string, unknown>[] = [];

  before(async () => {
    const sink = new Writable({ write(chunk, _encoding, done) { logLines.push(JSON.parse(String(chunk))); done(); } });
    berth = await createBerth(configSchema.parse({ listen: '127.0.0.1:0', dataDir }), pino({ level: 'info' }, sink));
    url = `http://127.0.0.1:${(await berth.listen()).port}`;
  });

  after(async () => {
    await berth?.close();
    if (!skip) execFileSync('umount', [storage]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Leaves about `free` bytes of the tmpfs unused. */
  function fillUpTo(free: number): void {
    rmSync(filler, { force: true });
    const available = Number(execFileSync('df', ['--output=avail', '-B1', storage]).toString().split('\n')[1]!.trim());
    writeFileSync(filler, Buffer.alloc(Math.max(available - free, 0)));
  }

  it('answers a single POST that does not fit with 507 STORAGE_FULL saying what to do, logs it, and keeps nothing', async () => {
    fillUpTo(256 * 1024);
    const repository = uniqueRepo();
    const bytes = randomBlob(1024 * 1024);
    const body = await assertError(await postBlob(url, repository, sha256(bytes), bytes), 507, 'STORAGE_FULL');
    assert.match(body.errors[0]!.message!, /storage is full/);
    assert.match(body.errors[0]!.message!, /free space or grow the volume/);
    assert.match(body.errors[0]!.message!, /retried/);
    assert.doesNotMatch(body.errors[0]!.message!, /ENOSPC|filesystem backend/, 'the system call stays in the log');
    assert.deepEqual(uploadFiles(dataDir), [], 'no partial upload is left');
    assert.equal(await headBlobStatus(url, repository, sha256(bytes)), 404);

    const logged = logLines.find((line) => line.msg === 'blob storage is full: free space or grow the volume');
    assert.ok(logged, 'the full disk is logged');
    assert.equal(logged.level, 50, 'at error level');
    assert.equal(logged.code, 'STORAGE_FULL');

    // Room again: the same push goes through.
    rmSync(filler);
    const retried = await postBlob(url, repository, sha256(bytes), bytes);
    assert.equal(retried.status, 201, await retried.text());
    assert.deepEqual(await pullBlob(url, repository, sha256(bytes)), bytes);
  });

  it('answers a chunk that does not fit with 507, keeps the chunks before it, and resumes once there is room', async () => {
    fillUpTo(384 * 1024);
    const repository = uniqueRepo();
    const bytes = randomBlob(768 * 1024);
    const session = await startUpload(url, repository);
    const first = await patchChunk(session.location, bytes.subarray(0, 128 * 1024), { range: `0-${128 * 1024 - 1}` });
    assert.equal(first.status, 202, await first.text());

    const refused = await patchChunk(session.location, bytes.subarray(128 * 1024), { range: `${128 * 1024}-${bytes.length - 1}` });
    await assertError(refused, 507, 'STORAGE_FULL');
    const status = await uploadStatus(session.location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), `0-${128 * 1024 - 1}`, 'the refused chunk left nothing behind');

    rmSync(filler);
    const resent = await patchChunk(session.location, bytes.subarray(128 * 1024), { range: `${128 * 1024}-${bytes.length - 1}` });
    assert.equal(resent.status, 202, await resent.text());
    const put = await completeUpload(session.location, sha256(bytes));
    assert.equal(put.status, 201, await put.text());
    assert.deepEqual(await pullBlob(url, repository, sha256(bytes)), bytes);
  });
});

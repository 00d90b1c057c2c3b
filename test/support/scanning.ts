import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import type { VulnerabilityReport } from '../../src/features/scanning/vulnerability-report.js';
import { expectStatus, type ApiClient } from './api-client.js';

/**
 * What the scanner's protocol tests share: advisory feeds built from the committed OSV records (a folder, or a
 * loopback HTTP server laid out as OSV's bucket that logs what it is asked for), images pushed from real file trees
 * archived by GNU tar, and the vulnerability report read until a scan has got where a test needs it.
 */

export const scanFixtures = new URL('../fixtures/scanning/', import.meta.url).pathname;

export type { VulnerabilityReport };

export const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// ---------------------------------------------------------------------------------------------------------------
// Advisory feeds

/** An OSV record as the feed holds it: its id, its `modified` time and its JSON bytes. */
export interface FeedRecord {
  readonly id: string;
  readonly modified: string;
  readonly bytes: Buffer;
}

/** The committed records of `test/fixtures/scanning/osv/osv/<folder>` (alpine, debian, npm, ...), by id. */
export function fixtureRecords(folder: string): Map<string, FeedRecord> {
  const root = join(scanFixtures, 'osv/osv', folder);
  const records = new Map<string, FeedRecord>();
  for (const file of readdirSync(root).filter((name) => name.endsWith('.json')).sort()) {
    const bytes = readFileSync(join(root, file));
    const { id, modified } = JSON.parse(bytes.toString('utf8')) as { id: string; modified: string };
    records.set(id, { id, modified, bytes });
  }
  return records;
}

/** A fixture record as an object, to derive a new advisory from a real one. */
export function fixtureRecord(folder: string, id: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(scanFixtures, 'osv/osv', folder, `${id}.json`), 'utf8')) as Record<string, unknown>;
}

/** Newest first, as OSV writes `modified_id.csv`. */
const newestFirst = (records: Iterable<FeedRecord>): FeedRecord[] =>
  [...records].sort((a, b) => Date.parse(b.modified) - Date.parse(a.modified) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/**
 * A source's `all.zip`, entries newest first, so that an archive cut short holds the newest records: the case where
 * a reader must not take the newest record it managed to read for how far it got.
 */
export function allZip(records: Iterable<FeedRecord>): Buffer {
  return Buffer.from(zipSync(Object.fromEntries(newestFirst(records).map((record) => [`${record.id}.json`, new Uint8Array(record.bytes)]))));
}

/** A source's `modified_id.csv`: `<modified>,<id>` per line, newest first. */
export function modifiedIdCsv(records: Iterable<FeedRecord>): string {
  return newestFirst(records).map((record) => `${record.modified},${record.id}\n`).join('');
}

/** A feed folder (air-gapped layout): `<Source>/all.zip` for each source, from the fixture folder named. */
export function feedFolder(sources: Record<string, string>): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'berth-feed-'));
  for (const [source, folder] of Object.entries(sources)) {
    mkdirSync(join(path, source));
    writeFileSync(join(path, source, 'all.zip'), allZip(fixtureRecords(folder).values()));
  }
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** What the feed server answers for a path instead of the file: a status (404: the file is gone), or other bytes. */
export type FeedOverride = { readonly status: number } | { readonly body: Buffer };

export interface FeedServer {
  /** The base URL to configure as `scanning.feed`. */
  readonly url: string;
  /** The paths asked for, in order (`/Alpine/all.zip`, `/npm/GHSA-….json`). */
  readonly requests: string[];
  /** Adds or replaces a record: its JSON file, its line at the top of modified_id.csv, and all.zip. */
  publish(source: string, record: Record<string, unknown>): void;
  /** The source's all.zip as served now. */
  allZip(source: string): Buffer;
  /** Answers `path` (or, ending in `/`, every path under it) with `answer` until `restore`. */
  override(path: string, answer: FeedOverride): void;
  restore(): void;
  close(): Promise<void>;
}

/** A loopback HTTP server laid out as OSV's bucket: `/<Source>/all.zip`, `/<Source>/modified_id.csv`, `/<Source>/<id>.json`. */
export async function startFeedServer(sources: Record<string, string>): Promise<FeedServer> {
  const feed = new Map(Object.entries(sources).map(([source, folder]) => [source, fixtureRecords(folder)]));
  const overrides = new Map<string, FeedOverride>();
  const requests: string[] = [];
  const file = (path: string): Buffer | undefined => {
    const [, source, name, ...rest] = path.split('/');
    const records = feed.get(source ?? '');
    if (records === undefined || name === undefined || rest.length > 0) return undefined;
    if (name === 'all.zip') return allZip(records.values());
    if (name === 'modified_id.csv') return Buffer.from(modifiedIdCsv(records.values()));
    return name.endsWith('.json') ? records.get(name.slice(0, -5))?.bytes : undefined;
  };
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://feed').pathname);
    requests.push(path);
    const override = overrides.get(path) ?? [...overrides].find(([prefix]) => prefix.endsWith('/') && path.startsWith(prefix))?.[1];
    const body = override === undefined ? file(path) : 'body' in override ? override.body : undefined;
    const status = override !== undefined && 'status' in override ? override.status : body === undefined ? 404 : 200;
    response.writeHead(status, { 'content-type': 'application/octet-stream' });
    response.end(status === 200 ? body : `${status}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    publish(source, record) {
      const records = feed.get(source) ?? new Map<string, FeedRecord>();
      feed.set(source, records);
      const { id, modified } = record as { id: string; modified: string };
      records.set(id, { id, modified, bytes: Buffer.from(`${JSON.stringify(record, null, 2)}\n`) });
    },
    allZip: (source) => allZip(feed.get(source)?.values() ?? []),
    override: (path, answer) => { overrides.set(path, answer); },
    restore: () => overrides.clear(),
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Images from file trees

/**
 * Folders to archive into layers, made from fixture trees placed where an image holds them. The npm fixture names
 * its `node_modules` folders `_node_modules` (git ignores the real name, see its SOURCES.md): they are named back.
 */
export class ImageTrees {
  readonly root = mkdtempSync(join(tmpdir(), 'berth-scan-trees-'));
  #count = 0;

  /** A new folder holding each fixture folder (relative to test/fixtures/scanning) at its image path, and `files`. */
  tree(placements: Record<string, string>, files: Record<string, string> = {}): string {
    const folder = join(this.root, `tree-${++this.#count}`);
    mkdirSync(folder);
    for (const [at, from] of Object.entries(placements)) copyTree(join(scanFixtures, from), join(folder, at));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(folder, path)), { recursive: true });
      writeFileSync(join(folder, path), content);
    }
    return folder;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const target = join(to, name === '_node_modules' ? 'node_modules' : name);
    if (statSync(join(from, name)).isDirectory()) copyTree(join(from, name), target);
    else copyFileSync(join(from, name), target);
  }
}

/** Where to push, and as whom (a Basic or Bearer Authorization header; none with access control off). */
export interface RegistryTarget {
  readonly url: string;
  readonly authorization?: string | undefined;
}

export const imageTypes = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

export interface PushedManifest {
  readonly digest: string;
  readonly descriptor: { mediaType: string; digest: string; size: number };
}

async function send(target: RegistryTarget, method: string, path: string, body: Buffer, contentType: string): Promise<void> {
  const response = await fetch(`${target.url}${path}`, {
    method, body: new Uint8Array(body),
    headers: { 'content-type': contentType, ...(target.authorization ? { authorization: target.authorization } : {}) },
  });
  assert.equal(response.status, 201, `${method} ${path} answered ${response.status}: ${await response.text()}`);
}

/** Pushes the blobs (one POST each), then the manifest under `reference`. */
export async function pushManifest(target: RegistryTarget, repository: string, reference: string, manifest: Record<string, unknown>,
  blobs: readonly Buffer[] = []): Promise<PushedManifest> {
  for (const blob of blobs) await send(target, 'POST', `/v2/${repository}/blobs/uploads/?digest=${sha256(blob)}`, blob, 'application/octet-stream');
  const bytes = Buffer.from(JSON.stringify(manifest));
  const mediaType = manifest.mediaType as string;
  await send(target, 'PUT', `/v2/${repository}/manifests/${reference}`, bytes, mediaType);
  return { digest: sha256(bytes), descriptor: { mediaType, digest: sha256(bytes), size: bytes.length } };
}

/** A layer of `folder` as image builders write it: GNU tar, names sorted, owned by root, gzipped. */
export function layerOf(folder: string): Buffer {
  return execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-C', folder, '-czf', '-', '.'], { maxBuffer: 256 * 1024 * 1024 });
}

/**
 * Pushes an image whose layers (bottom first) are the folders given, archived by GNU tar, or raw bytes sent as they
 * are under the gzipped-tar media type; answers its digest.
 */
export async function pushTreeImage(target: RegistryTarget, repository: string, reference: string, layers: readonly (string | Buffer)[],
  platform: { architecture: string; variant?: string } = { architecture: 'amd64' }): Promise<PushedManifest> {
  const blobs = layers.map((layer) => (typeof layer === 'string' ? layerOf(layer) : layer));
  const config = Buffer.from(JSON.stringify({ ...platform, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  return pushManifest(target, repository, reference, {
    schemaVersion: 2, mediaType: imageTypes.manifest,
    config: { mediaType: imageTypes.config, digest: sha256(config), size: config.length },
    layers: blobs.map((blob) => ({ mediaType: imageTypes.layer, digest: sha256(blob), size: blob.length })),
  }, [config, ...blobs]);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading results

export type ReportQuery = Record<string, string>;

/** The vulnerability report as it stands (200 insisted on). */
export async function readReport(client: ApiClient, repository: string, reference: string, filters: ReportQuery = {}): Promise<VulnerabilityReport> {
  const query = new URLSearchParams({ repository, reference, ...filters });
  return expectStatus(await client.get<VulnerabilityReport>(`/api/v1/vulnerabilities?${query}`), 200).body;
}

/** Reads the report until `done` says it has got there (a scan finished, advisories matched); fails with the last one seen. */
export async function reportWhen(client: ApiClient, repository: string, reference: string, done: (report: VulnerabilityReport) => boolean,
  filters: ReportQuery = {}): Promise<VulnerabilityReport> {
  let report: VulnerabilityReport | undefined;
  for (let attempt = 0; attempt < 600; attempt++) {
    report = await readReport(client, repository, reference, filters);
    if (done(report)) return report;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`the report of ${repository}:${reference} never got there: ${JSON.stringify(report).slice(0, 2_000)}`);
}

/** Findings as comparable lines: advisory, package, installed version, fixed version. */
export function findingLines(report: VulnerabilityReport): string[] {
  return report.vulnerabilities.map((found) => `${found.id} ${found.package} ${found.version} ${found.fixedVersion}`).sort();
}

/** A file of `osv/expected/`. */
export function expectedFindings<T>(name: string): T {
  return JSON.parse(readFileSync(join(scanFixtures, 'osv/expected', `${name}.json`), 'utf8')) as T;
}

interface JobView {
  id: number;
  kind: string;
  status: string;
  lastError: string | null;
}

/** The jobs of a kind, newest first (system administrators). */
export async function jobsOf(admin: ApiClient, kind: string): Promise<JobView[]> {
  return expectStatus(await admin.get<{ items: JobView[] }>(`/api/v1/jobs?kind=${encodeURIComponent(kind)}&n=1000`), 200).body.items;
}

/** Waits for job `id` to end, and insists it ended well. */
export async function jobFinished(admin: ApiClient, kind: string, id: number): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const job = (await jobsOf(admin, kind)).find((candidate) => candidate.id === id);
    assert.ok(job, `no ${kind} job ${id}`);
    assert.notEqual(job.status, 'failed', `${kind} job ${id} failed: ${job.lastError}`);
    if (job.status === 'done') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${kind} job ${id} did not finish`);
}

/** Waits until the scanning consumer has handled every event of the outbox (its lag in /metrics is 0). */
export async function scanningCaughtUp(target: RegistryTarget): Promise<void> {
  let lag: string | undefined;
  for (let attempt = 0; attempt < 600; attempt++) {
    const response = await fetch(`${target.url}/metrics`, { headers: target.authorization ? { authorization: target.authorization } : {} });
    assert.equal(response.status, 200);
    lag = /^berth_outbox_lag_events\{consumer="scanning"\} (\d+)$/m.exec(await response.text())?.[1];
    if (lag === '0') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`the scanning consumer did not catch up with the outbox (lag ${lag})`);
}

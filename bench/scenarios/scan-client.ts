import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { basicAuthorization } from '../client/http.js';
import { sha256 } from '../client/content.js';
import type { RegistryClient } from '../client/registry.js';
import { withDigest } from '../client/registry.js';
import type { RunningServer } from '../servers/server.js';
import type { ScenarioContext } from './scenario.js';
import type { ScanImage } from './scan-images.js';

/**
 * What the scan scenarios do through Berth's API: push an image from its layer files, and follow its scan in the
 * vulnerability report (GET /api/v1/vulnerabilities) until it is done.
 */

/** A client of `server` sending its credentials (the scan session runs with access control on, for the admin API). */
export function scanClient(context: ScenarioContext, server: RunningServer, maxSockets: number): RegistryClient {
  const { credentials } = server;
  const authorization = credentials ? basicAuthorization(credentials.username, credentials.password) : undefined;
  return context.client(maxSockets, { authorization, idleTimeoutMs: 600_000 }, server);
}

/** Uploads an image's config and layers (those not in `pushed` yet), streaming each layer from its file. */
export async function pushImageBlobs(client: RegistryClient, repository: string, image: ScanImage, pushed = new Set<string>()): Promise<void> {
  await client.pushSmallBlob(repository, image.config, sha256(image.config));
  for (const layer of image.layers) {
    if (pushed.has(`${repository}@${layer.digest}`)) continue;
    const location = await client.startUpload(repository);
    await client.http.request({
      method: 'PUT',
      target: withDigest(location, layer.digest),
      headers: { 'content-type': 'application/octet-stream', 'content-length': layer.size },
      body: createReadStream(layer.path, { highWaterMark: 1024 * 1024 }),
      expect: 201,
    });
    pushed.add(`${repository}@${layer.digest}`);
  }
}

/** An image's scan as the report gives it, times in ms since the epoch. */
export interface ScanState {
  readonly status: string;
  readonly reason: string | undefined;
  readonly packages: number;
  readonly findings: number;
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
  readonly matchedAt: number | undefined;
}

interface ReportBody {
  platforms: { status: string; reason?: string; packages: number; summary: { total: number }; startedAt?: string; finishedAt?: string; matchedAt?: string }[];
}

const time = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso));

/** The scan of `repository@digest` (an image: one platform). */
export async function scanState(client: RegistryClient, repository: string, digest: string): Promise<ScanState> {
  const query = new URLSearchParams({ repository, reference: digest, severity: 'CRITICAL' });
  const response = await client.http.request({ method: 'GET', target: `/api/v1/vulnerabilities?${query}`, expect: 200 });
  const body = JSON.parse(response.body.toString('utf8')) as ReportBody;
  const platform = body.platforms[0];
  if (platform === undefined) throw new Error(`the report of ${repository}@${digest} has no platform`);
  return {
    status: platform.status, reason: platform.reason, packages: platform.packages, findings: platform.summary.total,
    startedAt: time(platform.startedAt), finishedAt: time(platform.finishedAt), matchedAt: time(platform.matchedAt),
  };
}

/** Scans that end otherwise than done: the scenario's figures would mean nothing. */
export class ScanFailedError extends Error {}

/** An image in a repository. */
export interface PushedImage {
  readonly repository: string;
  readonly digest: string;
}

/**
 * Waits until every image's scan is done, asking about one image at a time (the oldest not yet seen done, every
 * `pollMs`), so that following the scans costs the server next to nothing; answers their states, in order.
 */
export async function scansDone(client: RegistryClient, images: readonly PushedImage[], options: {
  readonly pollMs?: number; readonly timeoutMs?: number;
} = {}): Promise<ScanState[]> {
  const { pollMs = 200, timeoutMs = 30 * 60_000 } = options;
  const deadline = Date.now() + timeoutMs;
  for (const { repository, digest } of images) {
    for (;;) {
      const state = await scanState(client, repository, digest);
      if (state.status === 'done') break;
      if (state.status === 'failed' || state.status === 'unsupported') {
        throw new ScanFailedError(`the scan of ${repository}@${digest} ended ${state.status}: ${state.reason ?? 'no reason given'}`);
      }
      if (Date.now() > deadline) throw new Error(`the scan of ${repository}@${digest} is still ${state.status} after ${timeoutMs / 1000} s`);
      await sleep(pollMs);
    }
  }
  return Promise.all(images.map(({ repository, digest }) => scanState(client, repository, digest)));
}

/** Pushes each image (blobs, then its manifest by tag) and waits until all are scanned: the scanner's first work. */
export async function scanWarmUp(client: RegistryClient, images: readonly ScanImage[]): Promise<void> {
  const pushed: PushedImage[] = [];
  for (const image of images) {
    const repository = `bench/scan-warm-up/${image.kind}`;
    await pushImageBlobs(client, repository, image);
    pushed.push({ repository, digest: await client.putManifest(repository, image.name, image.manifest) });
  }
  await scansDone(client, pushed);
}

/** How long a done scan took, from its report. */
export function scanSeconds(state: ScanState): number {
  if (state.startedAt === undefined || state.finishedAt === undefined) throw new Error('a done scan without its start or end time');
  return (state.finishedAt - state.startedAt) / 1000;
}

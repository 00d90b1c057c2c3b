import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basic } from '../support/basic-auth.js';
import { allZip, expectedFindings, type FeedRecord, fixtureRecords, type PushedManifest, pushTreeImage, scanFixtures } from '../support/scanning.js';
import type { Pusher } from './ui-harness.js';

/**
 * A real image for the scanner in the UI's tests and screenshots (over test/support/scanning.ts): the Debian 12.15
 * minbase root of the fixtures, with its real dpkg database, and a feed folder of the fixtures' Debian advisories
 * plus the records a test or a screenshot adds.
 */

const debianRoot = join(scanFixtures, 'inventory/debian/bookworm-12.15-minbase');

/** What a correct scanner finds in that root with those advisories (one row per advisory and binary package). */
export const expectedDebianFindings = expectedFindings<{ findings: { id: string; binary: string; installed: string; fixed: string | null }[] }>(
  'debian-bookworm-12.15-minbase').findings;

/** The Debian advisories and `extra` records (OSV objects) as a feed folder's `Debian/all.zip`. */
export function debianFeed(extra: readonly { id: string; modified: string }[] = []): Buffer {
  const records: FeedRecord[] = [...fixtureRecords('debian').values(), ...extra.map((record) => ({ ...record, bytes: Buffer.from(JSON.stringify(record)) }))];
  return allZip(records);
}

/** A feed folder (OSV's bucket layout) holding `debianFeed(extra)`. */
export function debianFeedFolder(extra: readonly { id: string; modified: string }[] = []): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'berth-ui-feed-'));
  mkdirSync(join(path, 'Debian'));
  writeFileSync(join(path, 'Debian', 'all.zip'), debianFeed(extra));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Pushes the Debian root as a one-layer image under `reference`, as `push`'s user; another platform, another digest. */
export function pushDebianImage(push: Pusher, repository: string, reference: string,
  platform: { architecture: string; variant?: string } = { architecture: 'amd64' }): Promise<PushedManifest> {
  return pushTreeImage({ url: push.url, authorization: basic(push.username, push.password) }, repository, reference, [debianRoot], platform);
}

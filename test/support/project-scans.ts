import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectStatus, type ApiClient } from './api-client.js';
import { allZip, type PushedManifest, pushTreeImage, reportWhen, type RegistryTarget } from './scanning.js';

/**
 * A project whose images' worst-first order is known, for the project vulnerability overview's tests (API, CLI,
 * browser): small images of npm packages (a `node_modules` tree each, real tar layers) and an npm feed of advisories
 * written for them, rated by GitHub's `database_specific.severity` as GHSA records are, each with or without a fix.
 * Their ids say they are examples.
 */

interface ExampleAdvisory {
  readonly id: string;
  readonly name: string;
  readonly severity: 'CRITICAL' | 'HIGH' | 'MODERATE' | 'LOW';
  readonly fixed: string | undefined;
}

const advisories: readonly ExampleAdvisory[] = [
  { id: 'EXAMPLE-NPM-0001', name: 'left-pad', severity: 'CRITICAL', fixed: '1.3.0' },
  { id: 'EXAMPLE-NPM-0002', name: 'event-stream', severity: 'HIGH', fixed: '4.0.0' },
  { id: 'EXAMPLE-NPM-0003', name: 'minimist', severity: 'HIGH', fixed: undefined },
  { id: 'EXAMPLE-NPM-0004', name: 'debug', severity: 'LOW', fixed: '2.6.9' },
];

function record(advisory: ExampleAdvisory) {
  return {
    schema_version: '1.6.0', id: advisory.id, modified: '2026-11-02T12:00:00Z', published: '2026-11-02T12:00:00Z',
    aliases: [`CVE-2099-${advisory.id.slice(-4)}`], summary: `Example: a ${advisory.severity.toLowerCase()} flaw in ${advisory.name}`,
    database_specific: { severity: advisory.severity },
    affected: [{
      package: { ecosystem: 'npm', name: advisory.name },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, ...(advisory.fixed ? [{ fixed: advisory.fixed }] : [])] }],
    }],
  };
}

/** A feed folder (OSV's bucket layout) holding `npm/all.zip` of the example advisories. */
export function projectScanFeed(): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'berth-project-feed-'));
  addProjectScanFeed(path);
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes `npm/all.zip` of the example advisories into a feed folder (beside its other sources). */
export function addProjectScanFeed(folder: string): void {
  mkdirSync(join(folder, 'npm'), { recursive: true });
  writeFileSync(join(folder, 'npm', 'all.zip'), allZip(advisories.map((advisory) => {
    const json = record(advisory);
    return { id: json.id, modified: json.modified, bytes: Buffer.from(JSON.stringify(json)) };
  })));
}

export interface ProjectImageSpec {
  /** Under the project. */
  readonly repository: string;
  readonly tag: string;
  readonly packages: Readonly<Record<string, string>>;
  /** Left unscanned: pushed, never asked for a scan (on a registry that does not scan on push). */
  readonly unscanned?: boolean;
}

/**
 * The images, worst first as the overview orders them: a critical finding; two highs (one fixable) before one high
 * (none fixable); a low; then no finding, and not scanned (equal counts go by repository name).
 */
export const projectImageSpecs: readonly ProjectImageSpec[] = [
  { repository: 'api', tag: '1.0', packages: { 'left-pad': '1.1.0', debug: '2.6.0' } },
  { repository: 'web', tag: '2.0', packages: { 'event-stream': '3.3.6', minimist: '1.2.0' } },
  { repository: 'web', tag: '1.9', packages: { minimist: '1.2.0', 'left-pad': '1.3.0' } },
  { repository: 'tools', tag: '1', packages: { debug: '2.6.0' } },
  { repository: 'clean', tag: '1', packages: { 'left-pad': '1.3.0', debug: '2.6.9' } },
  { repository: 'later', tag: '1', packages: { 'left-pad': '1.1.0' }, unscanned: true },
];

export interface SeededImage extends ProjectImageSpec {
  readonly fullName: string;
  readonly digest: string;
}

/**
 * Pushes each image to `<project>/<repository>:<tag>` and, unless it is to stay unscanned, asks for its scan and
 * waits until it is done; answers them in the overview's order.
 */
export async function seedProjectImages(target: RegistryTarget, client: ApiClient, project: string, trees: string): Promise<SeededImage[]> {
  const seeded: SeededImage[] = [];
  for (const [index, spec] of projectImageSpecs.entries()) {
    const folder = join(trees, `image-${index}`);
    for (const [name, version] of Object.entries(spec.packages)) {
      mkdirSync(join(folder, 'app/node_modules', name), { recursive: true });
      writeFileSync(join(folder, 'app/node_modules', name, 'package.json'), JSON.stringify({ name, version }));
    }
    const fullName = `${project}/${spec.repository}`;
    const pushed: PushedManifest = await pushTreeImage(target, fullName, spec.tag, [folder]);
    seeded.push({ ...spec, fullName, digest: pushed.digest });
  }
  for (const image of seeded.filter((candidate) => !candidate.unscanned)) {
    expectStatus(await client.post('/api/v1/scans', { repository: image.fullName, reference: image.digest }), 202);
  }
  // A first scan reads the npm advisories after the image: done is not enough, its findings must have been matched.
  for (const image of seeded.filter((candidate) => !candidate.unscanned)) {
    const wanted = expectedCounts(image);
    await reportWhen(client, image.fullName, image.digest, (report) => report.status === 'done' && report.summary.total === wanted.total);
  }
  return seeded;
}

/** The findings the scanner should report in an image, counted as the API counts them. */
export function expectedCounts(spec: ProjectImageSpec) {
  const counts = { critical: 0, high: 0, medium: 0, low: 0, other: 0, fixable: 0, total: 0 };
  for (const [name, version] of Object.entries(spec.packages)) {
    for (const advisory of advisories.filter((candidate) => candidate.name === name)) {
      if (advisory.fixed !== undefined && !olderThan(version, advisory.fixed)) continue;
      const level = advisory.severity === 'MODERATE' ? 'medium' : advisory.severity.toLowerCase() as 'critical' | 'high' | 'low';
      counts[level]++;
      counts.total++;
      if (advisory.fixed !== undefined) counts.fixable++;
    }
  }
  return counts;
}

/** `a` < `b` for plain x.y.z versions, all these examples use. */
function olderThan(a: string, b: string): boolean {
  const [x, y] = [a, b].map((version) => version.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return x![i]! < y![i]!;
  return false;
}

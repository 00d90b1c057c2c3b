import type { OutgoingHttpHeaders } from 'node:http';
import { seededChoice } from '../client/seeded-random.js';
import { manifestAccept } from '../client/registry.js';
import {
  artifactsPerRepository, artifactTags, groupLabel, groups, projectName, projectOf, projectRepositories, repositoryIndex, repositoryName,
  type ScaleShape,
} from './scale-dataset.js';

/**
 * The calls the scale session times, each asking for items picked at random from the seeded dataset: the same
 * sequence for both registries (seeded-random.ts), so neither is given easier or hotter items.
 */

/** Which target a call is held to: per-repository calls (p90 ≤ 20 ms) or calls across the catalog (p90 ≤ 100 ms). */
export type TargetKind = 'repository' | 'catalog';

export const p90TargetMs: Record<TargetKind, number> = { repository: 20, catalog: 100 };

export interface CallInput {
  readonly shape: ScaleShape;
  /** The `index`-th request's choice in [0, size) from sub-stream `part` of this call's stream. */
  readonly choose: (size: number, index: number, part: number) => number;
}

/** What a check of one answer may need: the digest of a seeded artifact. */
export interface CheckInput {
  readonly shape: ScaleShape;
  readonly digestOf: (repository: number, artifact: number) => string;
}

export interface ScaleCall {
  /** Part of the metric ids: `scale.<key>.p90`. */
  readonly key: string;
  readonly label: string;
  readonly target: TargetKind;
  /** Distribution has no equivalent of Berth's /api/v1: its column says "n/a". */
  readonly berthOnly: boolean;
  /** The request of index `index`: a path with its query, and headers. */
  request(input: CallInput, index: number): { path: string; headers?: OutgoingHttpHeaders };
  /** Checks one answer's content (untimed, before the timed load); throws when it is not what was seeded. */
  check(body: unknown, path: string, input: CheckInput): void;
}

const pickRepository = (input: CallInput, index: number): number => input.choose(input.shape.repositories, index, 0);
const query = (parameters: Record<string, string>): string => new URLSearchParams(parameters).toString();

function list(body: unknown, key: string, path: string): unknown[] {
  const value = (body as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(value)) throw new Error(`GET ${path}: the answer has no "${key}" list`);
  return value;
}

function expectLength(items: readonly unknown[], expected: number, path: string, what: string): void {
  if (items.length !== expected) throw new Error(`GET ${path} gave ${items.length} ${what}, expected ${expected} (what was seeded)`);
}

/** The artifact each tag names (tags are the same in every repository). */
const artifactOfTag = new Map(Array.from({ length: artifactsPerRepository }, (_, artifact) => artifactTags(artifact))
  .flatMap((tags, artifact) => tags.map((tag) => [tag, artifact] as const)));

export const scaleCalls: readonly ScaleCall[] = [
  {
    key: 'manifest',
    label: 'manifest GET by tag',
    target: 'repository',
    berthOnly: false,
    request(input, index) {
      const artifact = input.choose(input.shape.artifactsPerRepository, index, 1);
      const tag = artifactTags(artifact)[input.choose(input.shape.tagsPerArtifact, index, 2)]!;
      return { path: `/v2/${repositoryName(pickRepository(input, index))}/manifests/${tag}`, headers: { accept: manifestAccept } };
    },
    check(body, path) {
      const annotation = (body as { annotations?: Record<string, string> }).annotations?.['org.berth.bench.artifact'];
      const [, repository, tag] = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(path)!;
      const artifact = artifactOfTag.get(tag!);
      if (annotation !== `${repository}#${artifact}`) {
        throw new Error(`GET ${path} answered the manifest of ${annotation}, expected ${repository}#${artifact}`);
      }
    },
  },
  {
    key: 'tags-list',
    label: 'tags/list of a repository (50 tags)',
    target: 'repository',
    berthOnly: false,
    request: (input, index) => ({ path: `/v2/${repositoryName(pickRepository(input, index))}/tags/list` }),
    check(body, path, { shape }) {
      expectLength(list(body, 'tags', path), shape.artifactsPerRepository * shape.tagsPerArtifact, path, 'tags');
    },
  },
  {
    key: 'catalog',
    label: '_catalog, a page of 100 (n=100&last=)',
    target: 'catalog',
    berthOnly: false,
    request(input, index) {
      // Pages start at project boundaries, so each one is a whole project's repositories.
      const project = input.choose(input.shape.projects, index, 0);
      const parameters: Record<string, string> = { n: '100' };
      if (project > 0) parameters.last = repositoryName(projectRepositories(input.shape, project).first - 1);
      return { path: `/v2/_catalog?${query(parameters)}` };
    },
    check(body, path, { shape }) {
      const items = list(body, 'repositories', path);
      const last = new URL(path, 'http://x').searchParams.get('last');
      const project = last === null ? 0 : projectOf(repositoryIndex(last)) + 1;
      const { first, end } = projectRepositories(shape, project);
      expectLength(items, end - first, path, 'repositories');
      if (items[0] !== repositoryName(first)) throw new Error(`GET ${path} began with ${String(items[0])}, expected ${repositoryName(first)}`);
    },
  },
  {
    key: 'ui-repositories',
    label: 'UI repository list of a project (n=100)',
    target: 'catalog',
    berthOnly: true,
    request: (input, index) => ({ path: `/api/v1/projects/${projectName(input.choose(input.shape.projects, index, 0))}/repositories?n=100` }),
    check(body, path, { shape }) {
      const project = Number(/proj-(\d{3})/.exec(path)![1]);
      const { first, end } = projectRepositories(shape, project);
      expectLength(list(body, 'items', path), end - first, path, 'repositories');
    },
  },
  {
    key: 'ui-tags',
    label: 'UI tag list of a repository (sort=version, n=100)',
    target: 'repository',
    berthOnly: true,
    request(input, index) {
      return { path: `/api/v1/tags?${query({ repository: repositoryName(pickRepository(input, index)), sort: 'version', n: '100' })}` };
    },
    check(body, path, { shape }) {
      expectLength(list(body, 'items', path), shape.artifactsPerRepository * shape.tagsPerArtifact, path, 'tags');
    },
  },
  {
    key: 'ui-label',
    label: `label query ${groupLabel}=<0–9>, first page (n=100)`,
    target: 'catalog',
    berthOnly: true,
    request: (input, index) => ({ path: `/api/v1/artifacts?${query({ label: `${groupLabel}=${input.choose(groups, index, 0)}`, n: '100' })}` }),
    check(body, path, { shape }) {
      const items = list(body, 'items', path) as { labels?: Record<string, string> }[];
      const value = new URL(path, 'http://x').searchParams.get('label')!.split('=')[1];
      // Each repository has one artifact of each group, with its five tags: one row per tag.
      expectLength(items, Math.min(100, shape.repositories * shape.tagsPerArtifact), path, 'rows');
      const other = items.find((item) => item.labels?.[groupLabel] !== value);
      if (other) throw new Error(`GET ${path} answered a row labelled ${JSON.stringify(other.labels)}`);
    },
  },
  {
    key: 'ui-latest',
    label: 'latest of a repository (by semver)',
    target: 'repository',
    berthOnly: true,
    request: (input, index) => ({ path: `/api/v1/latest?${query({ repository: repositoryName(pickRepository(input, index)) })}` }),
    check(body, path, { shape, digestOf }) {
      const answer = body as { tag?: string; digest?: string };
      const repository = repositoryIndex(new URL(path, 'http://x').searchParams.get('repository')!);
      const newest = shape.artifactsPerRepository - 1;
      if (answer.digest !== digestOf(repository, newest)) {
        throw new Error(`GET ${path} answered ${answer.tag}@${answer.digest}, expected artifact ${newest} (tag 1.${newest}.0)`);
      }
    },
  },
];

/** The chooser of call `stream` (its position in scaleCalls) under `seed`. */
export function chooserOf(seed: number, stream: number): CallInput['choose'] {
  return (size, index, part) => seededChoice(size, seed, stream * 16 + part, index);
}

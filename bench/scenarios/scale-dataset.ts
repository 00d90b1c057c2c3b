import { randomBytes } from 'node:crypto';
import { KiB, sha256 } from '../client/content.js';
import { imageManifest, type Descriptor } from '../client/images.js';
import { ociConfig, ociLayerGzip } from '../client/registry.js';

/**
 * The shape of Harbor's published performance dataset "small" (100 projects x 100 repositories x 10 artifacts x 5
 * tags), scaled by a factor, and the content pushed into it.
 *
 * The factor scales the number of repositories (10,000 x F, at least 1), which fill projects of 100 repositories in
 * order: F = 0.01 is 1 project of 100 repositories, F = 0.1 is 10 projects of 100, F = 0.001 is 1 project of 10.
 * Artifacts per repository and tags per artifact stay as in the dataset, so the per-repository calls (a manifest by
 * tag, tags/list, a tag list, "latest") see repositories of the full dataset's shape at any factor, and only the
 * catalog-wide calls see a smaller registry.
 */
export interface ScaleShape {
  readonly factor: number;
  readonly projects: number;
  readonly repositories: number;
  readonly repositoriesPerProject: number;
  readonly artifactsPerRepository: number;
  readonly tagsPerArtifact: number;
}

const fullRepositories = 10_000;
const repositoriesPerProject = 100;
export const artifactsPerRepository = 10;
const tagsPerArtifact = 5;
/** Distinct values of the config label `bench.group`: a label query selects about one artifact in `groups`. */
export const groups = 10;
export const groupLabel = 'bench.group';

export function scaleShape(factor: number): ScaleShape {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new Error(`scale factor ${factor}: expected a number above 0`);
  const repositories = Math.max(1, Math.round(fullRepositories * factor));
  return {
    factor,
    projects: Math.ceil(repositories / repositoriesPerProject),
    repositories,
    repositoriesPerProject: Math.min(repositories, repositoriesPerProject),
    artifactsPerRepository,
    tagsPerArtifact,
  };
}

/**
 * What the seeded dataset takes on the data disk, at most (Distribution's layout, a small file per link; Berth keeps
 * manifests in its database and takes about a hundredth of that): measured as 1.65 MB and 420 inodes per repository.
 */
export function scaleDiskNeed(shape: ScaleShape): { bytes: number; inodes: number } {
  return { bytes: shape.repositories * 1.65e6 + 2 ** 30, inodes: shape.repositories * 420 + 10_000 };
}

/** "2 projects x 100 repositories x 10 artifacts x 5 tags (200 repositories, 2,000 artifacts, 10,000 tags)". */
export function describeShape(shape: ScaleShape): string {
  const artifacts = shape.repositories * shape.artifactsPerRepository;
  const count = (value: number, one: string, many = `${one}s`): string => `${value.toLocaleString('en-US')} ${value === 1 ? one : many}`;
  const repositories = (value: number): string => count(value, 'repository', 'repositories');
  // The last project holds what is left over when the repositories are no whole number of projects.
  const rest = shape.repositories % shape.repositoriesPerProject;
  const perProject = repositories(shape.repositoriesPerProject) + (rest === 0 ? '' : ` (the last ${rest})`);
  return `${count(shape.projects, 'project')} × ${perProject} × ${shape.artifactsPerRepository} artifacts × ${shape.tagsPerArtifact} tags `
    + `(${repositories(shape.repositories)}, ${count(artifacts, 'artifact')}, ${count(artifacts * shape.tagsPerArtifact, 'tag')})`;
}

export const projectName = (project: number): string => `proj-${String(project).padStart(3, '0')}`;

export const projectOf = (repository: number): number => Math.floor(repository / repositoriesPerProject);

/** Repository `index` (0-based over the whole dataset): `proj-001/repo-042`; names sort in index order. */
export function repositoryName(index: number): string {
  return `${projectName(projectOf(index))}/repo-${String(index % repositoriesPerProject).padStart(3, '0')}`;
}

/** The index of a repository named by repositoryName. */
export function repositoryIndex(name: string): number {
  const match = /^proj-(\d{3})\/repo-(\d{3})$/.exec(name);
  if (!match) throw new Error(`${name} is not a repository of the scale dataset`);
  return Number(match[1]) * repositoriesPerProject + Number(match[2]);
}

/** The repositories of project `project`, as indexes [first, end). */
export function projectRepositories(shape: ScaleShape, project: number): { first: number; end: number } {
  const first = project * repositoriesPerProject;
  return { first, end: Math.min(first + repositoriesPerProject, shape.repositories) };
}

/**
 * The tags of artifact `artifact` (0-based) of a repository: a release, a pre-release of it, a floating minor, a
 * v-prefixed release and a build number, so version sorting and "latest" meet semver, pre-releases, a `v` prefix and
 * tags that are no version. "Latest" by semver is artifact 9's release (1.9.0, or v1.9.0, its equal).
 */
export function artifactTags(artifact: number): string[] {
  return [`1.${artifact}.0`, `1.${artifact}.0-rc.1`, `1.${artifact}`, `v1.${artifact}.0`, `build-${String(artifact).padStart(4, '0')}`];
}

/** The `bench.group` of an artifact: each repository has one artifact of each group, spread over its versions. */
export const artifactGroup = (repository: number, artifact: number): number => (repository + artifact) % groups;

/**
 * The blobs every repository shares (one config per group, one small layer): pushed once into the first repository
 * and mounted into the others, so seeding costs requests on the metadata path rather than uploads.
 */
export interface ScaleBlobs {
  readonly configs: readonly { readonly data: Buffer; readonly descriptor: Descriptor }[];
  readonly layer: { readonly data: Buffer; readonly descriptor: Descriptor };
}

/** Fresh blobs for one round: a random 1 KiB layer, and a config per group carrying the group label. */
export function scaleBlobs(): ScaleBlobs {
  const layer = randomBytes(KiB);
  const layerDigest = sha256(layer);
  const configs = Array.from({ length: groups }, (_, group) => {
    const data = Buffer.from(JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: new Date(Date.UTC(2026, 0, 1, 0, 0, group)).toISOString(),
      config: { Labels: { [groupLabel]: String(group), 'org.berth.bench.nonce': randomBytes(8).toString('hex') } },
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
    }));
    return { data, descriptor: { mediaType: ociConfig, digest: sha256(data), size: data.length } };
  });
  return { configs, layer: { data: layer, descriptor: { mediaType: ociLayerGzip, digest: layerDigest, size: layer.length } } };
}

/** The manifest of one artifact: its group's config, the shared layer, and an annotation that makes it distinct. */
export function artifactManifest(blobs: ScaleBlobs, repository: number, artifact: number): Buffer {
  return imageManifest(blobs.configs[artifactGroup(repository, artifact)]!.descriptor, [blobs.layer.descriptor], {
    'org.berth.bench.artifact': `${repositoryName(repository)}#${artifact}`,
  });
}

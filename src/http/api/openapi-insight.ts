import { maxPageSize } from '../../auth/admin/admin-requests.js';
import { errorResponse, nullable, object, operation, parameter, pathParameter, ref, time, type OperationSpec, type Schema } from './openapi-kit.js';

/**
 * The OpenAPI description of the registry's contents: tag lists, queries across projects, "latest", repository and
 * project figures, the artifact page, search and jobs.
 */

const repositorySchema: Schema = { type: 'string', minLength: 1, maxLength: 255, description: 'A repository name, such as team/app.' };
const globSchema = (what: string): Schema => ({
  type: 'string', minLength: 1, maxLength: 256,
  description: `A glob over ${what}: * within a path component, ** across, ? one character; printable characters only. Matched in linear time.`,
});
const instantSchema: Schema = { type: 'string', description: 'ISO 8601 (2025-01-31T12:00:00Z), or milliseconds since the epoch.' };
const bytesSchema: Schema = { type: 'string', pattern: '^\\d{1,15}$', description: 'A size in bytes.' };
const orderSchema: Schema = { type: 'string', enum: ['asc', 'desc'] };
const platformSchema: Schema = {
  type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9._-]{1,64}/[A-Za-z0-9._-]{1,64}(/[A-Za-z0-9._-]{1,64})?$',
  description: 'os/architecture or os/architecture/variant, such as linux/arm64/v8.',
};
const labelsSchema: Schema = {
  type: 'object', additionalProperties: { type: 'string' }, description: 'Keys and values as pushed: render them as text.',
};
const page = (item: string): Schema => object({
  items: { type: 'array', items: ref(item) },
  next: nullable('string', { description: 'Pass as `last` for the next page; null on the last page.' }),
});

function withResponse(described: Schema, status: number, response: Schema): Schema {
  return { ...described, responses: { ...(described.responses as Schema), [String(status)]: response } };
}

const required = (spec: ReturnType<typeof parameter>) => ({ ...spec, required: true });
const query = (name: string, schema: Schema, description: string) => parameter(name, 'query', schema, description);

/**
 * A read that anonymous callers may make: they see what /v2/ lets them pull (public projects; everything with access
 * control off), and credentials or a session widen it. Bad credentials are refused (401), failed logins are throttled
 * (429); a caller is never refused 403 by a read, since what it may not see is answered as if it did not exist (404).
 */
function read(id: string, spec: Omit<OperationSpec, 'public'>): Schema {
  const described = operation(id, { ...spec, public: true, errors: [400, 401, 429, ...(spec.errors ?? [])] });
  return { ...described, security: [{}, { basic: [] }, { session: [] }] };
}

export const insightSchemas: Record<string, Schema> = {
  Platform: object({
    digest: { type: 'string', description: 'The manifest that runs on the platform: the image itself, or the index\'s child.' },
    os: { type: 'string' },
    architecture: { type: 'string' },
    variant: nullable('string'),
  }),
  Tag: object({
    repository: { type: 'string' },
    tag: { type: 'string' },
    digest: { type: 'string' },
    mediaType: { type: 'string' },
    artifactType: nullable('string'),
    size: { type: 'integer', description: 'Bytes of the manifest, config and layers; for an index, its own and its children\'s.' },
    platforms: { type: 'array', items: ref('Platform') },
    pushedAt: time('When the tag was last pointed at its digest.'),
    created: time('The image config\'s created time; for an index, its newest child\'s.'),
    lastPulledAt: time('The last pull of the digest in this repository, by tag or digest; null if never.'),
    pulls: { type: 'integer', description: 'Pulls of the digest in this repository, by tag or digest.' },
    tagPulls: { type: 'integer', description: 'Pulls through this tag.' },
    quarantined: { type: 'boolean' },
    labels: labelsSchema,
  }),
  TagPage: page('Tag'),
  Latest: object({
    repository: { type: 'string' },
    tag: { type: 'string' },
    digest: { type: 'string', description: 'The tag\'s digest (an index\'s, for a multi-platform image).' },
    by: { type: 'string', enum: ['semver', 'pushed', 'created'] },
    version: nullable('string', { description: 'The semantic version the tag names (by=semver).' }),
    platformDigest: nullable('string', { description: 'With platform=: the manifest of that platform (the index\'s child, or the image itself).' }),
    pushedAt: time('When the tag was last pointed at its digest.'),
    created: time('The image config\'s created time.'),
  }),
  RepositorySummary: object({
    name: { type: 'string' },
    project: { type: 'string' },
    artifactCount: { type: 'integer' },
    tagCount: { type: 'integer' },
    storedBytes: { type: 'integer', description: 'Bytes of the blobs and manifests the repository links.' },
    pulls: { type: 'integer' },
    lastPulledAt: time('The last pull of anything in it; null if never.'),
    updatedAt: time('When a tag of it last moved, else when it was created.'),
  }),
  RepositorySummaryPage: page('RepositorySummary'),
  Usage: object({
    project: { type: 'string' },
    repositories: { type: 'integer' },
    storedBytes: { type: 'integer', description: 'Bytes stored for the project: a blob or manifest its repositories share counted once.' },
    logicalBytes: { type: 'integer', description: 'The sum of its repositories\' stored bytes: what it would take without deduplication.' },
    savedByDeduplication: { type: 'integer', description: 'logicalBytes - storedBytes.' },
    pulls: { type: 'integer', description: 'Pulls of its images, by tag and by digest.' },
    lastPulledAt: time('The last pull; null if never.'),
  }),
  Layer: object({ digest: { type: 'string' }, mediaType: { type: 'string' }, size: { type: 'integer' } }),
  HistoryEntry: object({
    created: time('When the step ran.'),
    createdBy: nullable('string'),
    comment: nullable('string'),
    emptyLayer: { type: 'boolean' },
  }),
  ImageConfig: object({
    labels: labelsSchema,
    env: { type: 'array', items: { type: 'string' } },
    entrypoint: { type: 'array', items: { type: 'string' } },
    cmd: { type: 'array', items: { type: 'string' } },
    workingDir: nullable('string'),
    user: nullable('string'),
    created: time('The config\'s created time.'),
    author: nullable('string'),
  }),
  PlatformDetail: object({
    digest: { type: 'string' },
    mediaType: { type: 'string' },
    os: nullable('string'),
    architecture: nullable('string'),
    variant: nullable('string'),
    size: { type: 'integer' },
    annotations: labelsSchema,
    artifactType: nullable('string'),
    config: { oneOf: [ref('ImageConfig'), { type: 'null' }], description: 'null when the config is no image config, or not stored.' },
    history: { type: 'array', items: ref('HistoryEntry') },
    layers: { type: 'array', items: ref('Layer') },
  }),
  Referrer: object({
    digest: { type: 'string' },
    artifactType: nullable('string'),
    mediaType: { type: 'string' },
    size: { type: 'integer' },
    annotations: labelsSchema,
    group: { type: 'string', enum: ['signature', 'sbom', 'attestation', 'other'] },
    tag: nullable('string', { description: 'Found through cosign\'s tag (sha256-<hex>.sig, .att, .sbom) rather than the referrers API.' }),
  }),
  ArtifactDetail: object({
    repository: { type: 'string' },
    digest: { type: 'string' },
    mediaType: { type: 'string' },
    artifactType: nullable('string'),
    size: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
    pushedAt: time('When it was first pushed to (or mounted in) the repository.'),
    lastPulledAt: time('The last pull, by tag or digest; null if never.'),
    pulls: { type: 'integer' },
    tagPulls: {
      type: 'object', description: 'Pulls through each of its tags.',
      additionalProperties: object({ pulls: { type: 'integer' }, lastPulledAt: time('The last pull through the tag.') }),
    },
    annotations: labelsSchema,
    manifest: { description: 'The manifest or index as stored (null when it is not JSON).' },
    platforms: { type: 'array', items: ref('PlatformDetail'), description: 'The image itself, or each child of an index (the first 64).' },
    referrers: { type: 'array', items: ref('Referrer') },
    quarantine: {
      oneOf: [object({ reason: { type: 'string' }, by: { type: 'string' }, at: time('When.'), via: nullable('string') }), { type: 'null' }],
    },
  }),
  DeletedArtifact: object({
    repository: { type: 'string' },
    reference: { type: 'string', description: 'The tag or digest asked for.' },
    digest: { type: 'string', description: 'The digest the tag named (a tag delete), or the one deleted.' },
  }),
  SearchHits: object({
    repositories: { type: 'array', items: object({ name: { type: 'string' }, project: { type: 'string' } }) },
    tags: { type: 'array', items: object({ repository: { type: 'string' }, tag: { type: 'string' }, digest: { type: 'string' } }) },
    labels: {
      type: 'array',
      items: object({
        repository: { type: 'string' }, tag: { type: 'string' }, digest: { type: 'string' }, key: { type: 'string' }, value: { type: 'string' },
      }),
    },
  }),
  Job: object({
    id: { type: 'integer' },
    kind: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'running', 'done', 'failed'] },
    attempts: { type: 'integer' },
    maxAttempts: { type: 'integer' },
    progress: { type: ['object', 'null'], description: 'What the job last reported of its progress.' },
    lastError: nullable('string'),
    runAfter: time('Not before this time.'),
    createdAt: time('When it was queued.'),
    updatedAt: time('When it last changed.'),
  }),
  JobPage: page('Job'),
};

const repositoryParameter = required(query('repository', repositorySchema, 'The repository.'));
const referenceParameters = [
  repositoryParameter,
  required(query('reference', { type: 'string', minLength: 1, maxLength: 200 }, 'A tag, or a digest (sha256:<64 hex digits>).')),
];
const propertyFilter = (what: string): Schema => ({
  ...query(what, { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 4352 } },
    `key=value, or key alone for "has the key"; repeat for more (all must hold, at most 32 ${what} filters).`),
  style: 'form', explode: true,
});
const timeFilters = [
  query('pushedAfter', instantSchema, 'Tags pointed at their digest at or after this time.'),
  query('pushedBefore', instantSchema, 'Tags pointed at their digest before this time.'),
  query('pulledAfter', instantSchema, 'Digests last pulled at or after this time.'),
  query('pulledBefore', instantSchema, 'Digests last pulled before this time, or never.'),
];
const projectName = pathParameter('name', 'The project name.');

export const insightPaths: Record<string, Record<string, Schema>> = {
  '/api/v1/tags': {
    get: read('listTags', {
      summary: 'A repository\'s tags with digest, size, platforms, push time and pulls, sorted and filtered.', tag: 'contents',
      parameters: [
        repositoryParameter,
        query('sort', { type: 'string', enum: ['name', 'version', 'pushed', 'pulled'], default: 'name' },
          'version: semantic versions in order (a v prefix allowed, build metadata ignored, ties by name), other tags after them.'),
        query('order', orderSchema, 'Default asc for name, desc otherwise.'),
        query('pattern', globSchema('tags'), 'Only tags matching it.'),
      ],
      response: 'TagPage', paged: true, errors: [404],
      description: 'Keyset pages: a page starts after the last row of the previous one, so rows are neither skipped nor repeated while pushes go on.',
    }),
  },
  '/api/v1/artifacts': {
    get: read('queryArtifacts', {
      summary: 'Tags across every project the caller may see, filtered by metadata.', tag: 'contents',
      parameters: [
        query('project', { type: 'string', maxLength: 255 }, 'Only this project.'),
        query('repository', globSchema('repository names'), 'Only repositories matching it (team/**).'),
        query('tag', globSchema('tags'), 'Only tags matching it (v1.*).'),
        propertyFilter('label'),
        propertyFilter('annotation'),
        query('platform', platformSchema, 'Only artifacts that run on this platform (an index: one of its children).'),
        query('mediaType', { type: 'string', maxLength: 255 }, 'The manifest\'s media type.'),
        query('artifactType', { type: 'string', maxLength: 255 }, 'The manifest\'s artifactType.'),
        ...timeFilters,
        query('minSize', bytesSchema, 'At least this many bytes (manifest, config and layers).'),
        query('maxSize', bytesSchema, 'At most this many bytes.'),
        query('sort', { type: 'string', enum: ['name', 'pushed', 'size', 'pulled'], default: 'name' }, 'name: by repository, then tag.'),
        query('order', orderSchema, 'Default asc for name, desc otherwise.'),
      ],
      response: 'TagPage', paged: true, errors: [404],
      description: 'Keyset pages: follow `next` (or the Link header). A page may hold fewer than n rows when few match; only a null `next` ends the list.',
    }),
  },
  '/api/v1/latest': {
    get: read('latest', {
      summary: '"Latest" in a repository: by semantic version, push time or image creation time, optionally for one platform.', tag: 'contents',
      parameters: [
        repositoryParameter,
        query('by', { type: 'string', enum: ['semver', 'pushed', 'created'], default: 'semver' },
          'semver: the highest version (tags that are no version are ignored); pushed: the tag moved last; created: the newest image config.'),
        query('platform', platformSchema, 'Only tags whose artifact runs on this platform.'),
        query('range', { type: 'string', minLength: 1, maxLength: 256 }, 'by=semver only: a version range as npm writes them (^1.2, ~1.2.3, >=2 <3).'),
        query('prerelease', { type: 'string', enum: ['true', 'false'], default: 'false' }, 'by=semver: whether pre-releases (1.2.0-rc.1) count.'),
      ],
      response: 'Latest', errors: [404],
      description: 'Decided from stored facts alone, ties broken by tag name: the same answer on every node and every call until a push or '
        + 'delete changes it. 404 NOT_FOUND when no tag qualifies.',
    }),
  },
  '/api/v1/projects/{name}/repositories': {
    get: read('listProjectRepositories', {
      summary: 'A project\'s repositories with their tag and artifact counts, stored bytes and pulls.', tag: 'contents',
      parameters: [projectName, query('q', { type: 'string', maxLength: 256 }, 'Only repositories whose name contains this.')],
      response: 'RepositorySummaryPage', paged: true, errors: [404],
    }),
  },
  '/api/v1/projects/{name}/usage': {
    get: read('projectUsage', {
      summary: 'A project\'s stored bytes (shared blobs counted once), the bytes deduplication saves, and its pulls.', tag: 'contents',
      parameters: [projectName], response: 'Usage', errors: [404],
    }),
  },
  '/api/v1/repository': {
    get: read('getRepository', {
      summary: 'One repository\'s figures.', tag: 'contents',
      parameters: [required(query('name', repositorySchema, 'The repository.'))], response: 'RepositorySummary', errors: [404],
    }),
  },
  '/api/v1/artifact': {
    get: read('getArtifact', {
      summary: 'An artifact: its manifest, each platform\'s config and layers, referrers by kind, tags, pulls and quarantine.', tag: 'contents',
      parameters: referenceParameters, response: 'ArtifactDetail', errors: [404],
    }),
    delete: withResponse(operation('deleteArtifact', {
      summary: 'Delete a tag (the manifest stays), or a manifest with all its tags (by digest): maintainers and project admins.',
      tag: 'contents', parameters: referenceParameters, response: 'DeletedArtifact', errors: [400, 404],
      description: 'The rules of DELETE /v2/<name>/manifests/<reference>: immutable tags and quarantine apply (403). '
        + 'A repository the caller may not pull from is answered 404.',
    }), 405, errorResponse('UNSUPPORTED: this registry has deletes turned off (delete.enabled).')),
  },
  '/api/v1/search': {
    get: read('search', {
      summary: 'Repositories, tags and labels containing some text, in every project the caller may see.', tag: 'contents',
      parameters: [
        required(query('q', { type: 'string', minLength: 1, maxLength: 256 }, 'The text (case-insensitive).')),
        query('n', { type: 'integer', minimum: 1, default: 20 }, `At most this many of each kind; larger values are cut to ${maxPageSize}.`),
      ],
      response: 'SearchHits',
    }),
  },
  '/api/v1/jobs': {
    get: operation('listJobs', {
      summary: 'Background jobs, newest first, with their progress (system administrators).', tag: 'jobs',
      parameters: [
        query('status', { type: 'string', enum: ['queued', 'running', 'done', 'failed'] }, 'Only jobs in this state.'),
        query('kind', { type: 'string', maxLength: 128 }, 'Only jobs of this kind.'),
      ],
      response: 'JobPage', paged: true, errors: [400],
    }),
  },
};

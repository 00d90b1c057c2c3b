import { object, operation, parameter, pathParameter, ref, time, type Schema } from './openapi-kit.js';

/** The OpenAPI description of the registry's policies: immutable-tag rules, quarantine and recall. */

const repositorySchema: Schema = { type: 'string', maxLength: 255, description: 'A repository name, such as team/app.' };
const digestSchema: Schema = { type: 'string', pattern: '^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$', description: 'sha256:<64 hex digits>' };
const globSchema = (what: string): Schema => ({ type: 'string', minLength: 1, maxLength: 256, description: `A glob over ${what}: * within a path component, ** across, ? one character.` });
const list = (item: string): Schema => object({ items: { type: 'array', items: ref(item) } });

export const policySchemas: Record<string, Schema> = {
  ImmutableTagRule: object({
    id: { type: 'integer' },
    project: { type: 'string' },
    tags: globSchema('tags'),
    repositories: globSchema('repository names below the project ("app", "app/*", "**")'),
    createdBy: { type: 'string' },
    createdAt: time('When the rule was added.'),
  }),
  ImmutableTagRuleList: list('ImmutableTagRule'),
  AddImmutableTagRule: object({ tags: globSchema('tags'), repositories: { ...globSchema('repository names below the project'), default: '**' } }, ['tags']),
  Quarantine: object({
    repository: { type: 'string' },
    digest: { type: 'string' },
    via: { type: ['string', 'null'], description: 'The index this digest was quarantined with; null when quarantined itself.' },
    reason: { type: 'string', description: 'Shown to everyone whose pull is refused.' },
    createdBy: { type: 'string' },
    createdAt: time('When it was quarantined.'),
  }),
  QuarantineList: list('Quarantine'),
  QuarantineRequest: object({ repository: repositorySchema, digest: digestSchema, reason: { type: 'string', minLength: 1, maxLength: 1024 } }),
  Puller: object({
    actor: { type: 'string', description: 'The user, or robot$<name>.' },
    actorKind: { type: 'string', enum: ['user', 'robot', 'anonymous'] },
    count: { type: 'integer', description: 'Pulls (manifest GETs) of the digest.' },
    firstPull: time('The first pull.'),
    lastPull: time('The last pull.'),
    addresses: { type: 'array', items: { type: 'string' }, description: 'Addresses pulled from, most recent first.' },
  }),
  PullerList: list('Puller'),
};

const projectName = pathParameter('name', 'The project name.');
const artifact = [
  parameter('repository', 'query', repositorySchema, 'The repository.'),
  parameter('digest', 'query', digestSchema, 'The manifest\'s digest.'),
];

export const policyPaths: Record<string, Record<string, Schema>> = {
  '/api/v1/projects/{name}/immutable-tags': {
    get: operation('listImmutableTagRules', { summary: 'The project\'s immutable-tag rules (members).', tag: 'immutable-tags', parameters: [projectName], response: 'ImmutableTagRuleList', errors: [404] }),
    post: operation('addImmutableTagRule', {
      summary: 'Make matching tags immutable (maintainers): once such a tag exists it can be neither moved nor deleted.',
      tag: 'immutable-tags', parameters: [projectName], body: 'AddImmutableTagRule', status: 201, response: 'ImmutableTagRule', errors: [404],
    }),
  },
  '/api/v1/projects/{name}/immutable-tags/{id}': {
    delete: operation('removeImmutableTagRule', {
      summary: 'Remove an immutable-tag rule (maintainers).', tag: 'immutable-tags',
      parameters: [projectName, pathParameter('id', 'The rule\'s id.')], errors: [404],
    }),
  },
  '/api/v1/quarantines': {
    get: operation('listQuarantines', {
      summary: 'Quarantined images of a project (its members), or of every project (system administrators).', tag: 'quarantine',
      parameters: [parameter('project', 'query', { type: 'string' }, 'The project.'), parameter('n', 'query', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'At most this many, newest first.')],
      response: 'QuarantineList', errors: [400, 404],
    }),
    post: operation('quarantine', {
      summary: 'Quarantine an image (maintainers): every pull of it, by tag or digest, is refused with the reason; an index takes its children with it.',
      tag: 'quarantine', body: 'QuarantineRequest', status: 201, response: 'Quarantine', errors: [404],
    }),
    delete: operation('release', { summary: 'Release a quarantined image (maintainers), with the children quarantined with it.', tag: 'quarantine', parameters: artifact, errors: [400, 404] }),
  },
  '/api/v1/pullers': {
    get: operation('listPullers', {
      summary: 'Who pulled an image (maintainers), from the audit log: for recall.', tag: 'quarantine', parameters: artifact,
      response: 'PullerList', errors: [400, 404],
    }),
  },
};

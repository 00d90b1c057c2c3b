import type { FastifyInstance } from 'fastify';
import {nullable, object, operation, parameter, pathParameter, ref, responses, time, type Schema,
} from './openapi-kit.js';
import { insightPaths, insightSchemas } from './openapi-insight.js';
import { scannerPaths, scannerSchemas } from './openapi-scanners.js';
import { scanningPaths, scanningSchemas } from './openapi-scanning.js';
import { policyPaths, policySchemas } from './openapi-policies.js';
import { webhookPaths, webhookSchemas } from './openapi-webhooks.js';
import { trustPaths, trustSchemas } from './openapi-trust.js';
import { projectRoles } from '../../auth/roles.js';

/**
 * The OpenAPI 3.1 description of /api/v1, written by hand beside the routes it describes. A test walks every route
 * registered under /api/v1 and checks it is here, so the two cannot drift apart silently.
 */

const usernameSchema: Schema = {
  type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._@+-]*$',
  description: 'Letters, digits, ".", "_", "@", "+", "-"; never "$", which robot account names hold.',
};
const projectNameSchema: Schema = {
  type: 'string', maxLength: 255, pattern: '^[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*$',
  description: 'One component of a repository name: the project of repository "team/app" is "team".',
};
const passwordSchema: Schema = { type: 'string', minLength: 8, maxLength: 256, description: 'At least 8 characters, no control characters.' };
const roleSchema: Schema = { type: 'string', enum: [...projectRoles] };
const actionsSchema: Schema = { type: 'array', minItems: 1, items: { type: 'string', enum: ['pull', 'push', 'delete'] } };

const schemas: Record<string, Schema> = {
  Error: object({
    errors: {
      type: 'array',
      items: object({
        code: { type: 'string', enum: ['INVALID_REQUEST', 'UNAUTHORIZED', 'DENIED', 'NOT_FOUND', 'CONFLICT', 'TOOMANYREQUESTS', 'SIZE_INVALID', 'UNAVAILABLE', 'UNKNOWN',
          'NAME_UNKNOWN', 'NAME_INVALID', 'MANIFEST_UNKNOWN', 'TAG_INVALID', 'DIGEST_INVALID', 'UNSUPPORTED'] },
        message: { type: 'string', description: 'What went wrong and what to do about it.' },
        detail: { description: 'For INVALID_REQUEST: { issues: [{ path, message }] }, one per problem found.' },
      }),
    },
  }),
  User: object({
    id: { type: 'integer' },
    username: { type: 'string' },
    email: nullable('string'),
    displayName: nullable('string'),
    source: { type: 'string', enum: ['local', 'ldap', 'oidc'] },
    admin: { type: 'boolean', description: 'A system administrator.' },
    disabled: { type: 'boolean' },
    createdAt: time('When the user was created.'),
    lastLoginAt: time('The last successful sign-in, if any.'),
  }),
  Me: {
    type: 'object',
    description: 'The caller. Users carry "username"; robot accounts "name" and their permissions.',
    properties: {
      kind: { type: 'string', enum: ['user', 'robot'] },
      username: { type: 'string' },
      name: { type: 'string' },
      admin: { type: 'boolean' },
      source: nullable('string', { enum: ['local', 'ldap', 'oidc', null] }),
      email: nullable('string'),
      displayName: nullable('string'),
      groups: { type: 'array', items: { type: 'string' }, description: 'Names of the groups the user is in.' },
      permissions: { type: 'array', items: ref('RobotPermission') },
      expiresAt: time('When the robot account expires.'),
    },
    required: ['kind', 'admin', 'source', 'email', 'displayName', 'groups'],
  },
  Project: object({
    id: { type: 'integer' },
    name: { type: 'string' },
    public: { type: 'boolean', description: 'Anyone, anonymous included, may pull from a public project.' },
    createdBy: nullable('string'),
    createdAt: time('When the project was created.'),
  }),
  ProjectWithCapabilities: {
    allOf: [ref('Project'), object({
      capabilities: {
        type: 'array', items: { type: 'string' },
        description: 'What the caller may do in the project (pull, push, delete, view-project, view-members, manage-policies, manage-members, manage-robots, update-project), so pages offer only actions that will succeed.',
      },
    })],
  },
  Member: object({
    kind: { type: 'string', enum: ['user', 'group'] },
    name: { type: 'string' },
    role: roleSchema,
  }),
  RobotPermission: object({
    project: { type: 'string', description: 'A project name, or "*" for every project (set by system administrators only).' },
    actions: actionsSchema,
  }),
  Robot: object({
    id: { type: 'integer' },
    name: { type: 'string', description: 'robot$<name>: the username it logs in with.' },
    description: nullable('string'),
    permissions: { type: 'array', items: ref('RobotPermission') },
    expiresAt: time('When its secret stops working; null for never.'),
    revokedAt: time('When it was revoked; null while it is not.'),
    createdBy: { type: 'string' },
    createdAt: time('When it was created.'),
    lastUsedAt: time('Its last successful login.'),
  }),
  RobotCreated: {
    allOf: [ref('Robot'), object({ secret: { type: 'string', description: 'The secret, shown only here: store it now.' } })],
  },
  RobotSecret: object({ secret: { type: 'string', description: 'The new secret, shown only here: store it now.' } }),
  Group: object({
    id: { type: 'integer' },
    name: { type: 'string' },
    source: { type: 'string', enum: ['local', 'ldap', 'oidc'] },
    externalName: nullable('string', { description: 'The LDAP group DN, or the OpenID Connect groups-claim value.' }),
    createdAt: time('When the group was created.'),
  }),
  CliSecret: object({
    id: { type: 'integer' },
    name: { type: 'string' },
    createdAt: time('When it was created.'),
    expiresAt: time('When it stops working.'),
    revokedAt: time('When it was revoked; null while it is not.'),
    lastUsedAt: time('Its last successful use.'),
  }),
  CliSecretCreated: object({
    id: { type: 'integer' },
    name: { type: 'string' },
    secret: { type: 'string', description: 'Shown only here: use it as the password of docker login / podman login, with your username.' },
    expiresAt: time('When it stops working.'),
  }),
  AuditEvent: object({
    id: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    actor: { type: 'string' },
    actorKind: { type: 'string', enum: ['user', 'robot', 'anonymous', 'system'] },
    action: { type: 'string', description: 'push, pull, delete, login, login.failed, user.create, project.update, robot.rotate, …' },
    repository: nullable('string', { description: 'The repository, or for project changes the project.' }),
    digest: nullable('string'),
    tag: nullable('string'),
    address: nullable('string', { description: 'The client address.' }),
    outcome: { type: 'string', enum: ['ok', 'denied', 'failed'] },
    detail: nullable('object', { description: 'What changed (never a secret or password), or why it was refused.' }),
  }),
  CreateUser: object({
    username: usernameSchema,
    password: passwordSchema,
    email: { type: 'string', format: 'email' },
    displayName: { type: 'string', maxLength: 200 },
    admin: { type: 'boolean', default: false },
  }, ['username', 'password']),
  UpdateUser: {
    ...object({
      password: passwordSchema,
      currentPassword: { type: 'string', description: 'Required when changing your own password.' },
      email: nullable('string', { format: 'email' }),
      displayName: nullable('string', { maxLength: 200 }),
      admin: { type: 'boolean', description: 'System administrators only; not on yourself.' },
      disabled: { type: 'boolean', description: 'System administrators only; not on yourself.' },
    }, []),
    description: 'A user may change their own password (with currentPassword), email and displayName; the rest needs a system administrator.',
  },
  CreateProject: object({ name: projectNameSchema, public: { type: 'boolean', default: false } }, ['name']),
  UpdateProject: object({ public: { type: 'boolean' } }),
  SetMember: object({ kind: { type: 'string', enum: ['user', 'group'] }, name: { type: 'string' }, role: roleSchema }),
  CreateRobot: object({
    name: { type: 'string', maxLength: 64, pattern: '^[a-z0-9]+(?:[._+-][a-z0-9]+)*$', description: 'Without the robot$ prefix, which Berth adds.' },
    description: { type: 'string', maxLength: 1000 },
    permissions: { type: 'array', minItems: 1, maxItems: 100, items: ref('RobotPermission'), description: 'Each project once; each must exist.' },
    expiresInDays: nullable('integer', { minimum: 1, maximum: 3650, description: 'Omitted or null: never expires.' }),
  }, ['name', 'permissions']),
  UpdateRobot: object({
    description: nullable('string', { maxLength: 1000 }),
    permissions: { type: 'array', minItems: 1, maxItems: 100, items: ref('RobotPermission') },
    expiresInDays: nullable('integer', { minimum: 1, maximum: 3650, description: 'Counted from now; null removes the expiry.' }),
  }, []),
  CreateGroup: {
    ...object({
      name: usernameSchema,
      source: { type: 'string', enum: ['local', 'ldap', 'oidc'] },
      externalName: { type: 'string', maxLength: 1024, description: 'Required for ldap (the group DN) and oidc (the groups-claim value); not allowed for local.' },
    }, ['name', 'source']),
  },
  CreateCliSecret: object({
    name: { type: 'string', minLength: 1, maxLength: 100, description: 'What the secret is for, e.g. the machine it lives on.' },
    expiresInDays: { type: 'integer', minimum: 1, maximum: 365, default: 90 },
  }, ['name']),
};

for (const [item, name] of [['User', 'UserPage'], ['Project', 'ProjectPage'], ['Member', 'MemberPage'], ['Robot', 'RobotPage'],
  ['Group', 'GroupPage'], ['CliSecret', 'CliSecretPage'], ['AuditEvent', 'AuditEventPage']] as const) {
  schemas[name] = object({
    items: { type: 'array', items: ref(item) },
    next: nullable('string', { description: 'Pass as `last` for the next page; null on the last page.' }),
  });
}

const searchParameter = parameter('q', 'query', { type: 'string' }, 'Keep only those whose name (users: or e-mail) contains this.');
const auditFilters = [
  parameter('actor', 'query', { type: 'string' }, 'Who acted (username or robot$name).'),
  parameter('action', 'query', { type: 'string' }, 'An action; a name without a dot also matches its dotted kinds ("login" matches "login.failed").'),
  parameter('repository', 'query', { type: 'string' }, 'One repository (or, for project changes, the project).'),
  parameter('project', 'query', projectNameSchema, 'Events of the project: its repositories and its own changes.'),
  parameter('outcome', 'query', { type: 'string', enum: ['ok', 'denied', 'failed'] }, 'How it ended.'),
  parameter('since', 'query', { type: 'string' }, 'From this instant (inclusive): ISO 8601, or milliseconds since the epoch.'),
  parameter('until', 'query', { type: 'string' }, 'Before this instant (exclusive): ISO 8601, or milliseconds since the epoch.'),
];
const username = pathParameter('username', 'The username.');
const projectName = pathParameter('name', 'The project name.');
const robotName = pathParameter('name', 'The robot account\'s full name, robot$<name> (the prefix may be left out).');
const groupName = pathParameter('name', 'The group name.');

const paths: Record<string, Record<string, Schema>> = {
  '/api/v1/openapi.json': {
    get: {
      operationId: 'getOpenApi', summary: 'This document (always served, even with access control off).', tags: ['meta'], security: [],
      responses: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  },
  '/api/v1/me': {
    get: operation('getMe', { summary: 'The caller: user or robot account.', tag: 'me', response: 'Me', errors: [404] }),
  },
  '/api/v1/users': {
    get: operation('listUsers', { summary: 'List users (system administrators).', tag: 'users', parameters: [searchParameter], response: 'UserPage', paged: true }),
    post: operation('createUser', { summary: 'Create a local user (system administrators).', tag: 'users', body: 'CreateUser', status: 201, response: 'User', errors: [409] }),
  },
  '/api/v1/users/{username}': {
    get: operation('getUser', { summary: 'A user (system administrators, or the user themselves).', tag: 'users', parameters: [username], response: 'User', errors: [404] }),
    patch: operation('updateUser', {
      summary: 'Change a user.', tag: 'users', parameters: [username], body: 'UpdateUser', response: 'User', errors: [404, 409],
      description: 'System administrators change anything but their own admin and disabled flags (409). A user changes their own password (sending currentPassword too), email and displayName.',
    }),
    delete: operation('deleteUser', { summary: 'Delete a user (system administrators; not themselves).', tag: 'users', parameters: [username], errors: [404, 409] }),
  },
  '/api/v1/users/me/cli-secrets': {
    get: operation('listCliSecrets', { summary: 'Your CLI secrets (users only).', tag: 'cli-secrets', response: 'CliSecretPage', paged: true }),
    post: operation('createCliSecret', {
      summary: 'Create a CLI secret (users only), shown once.', tag: 'cli-secrets', body: 'CreateCliSecret', status: 201, response: 'CliSecretCreated', errors: [409],
      description: 'Use it as the password of docker login / podman login with your username: what OpenID Connect users, who have no password here, log in with.',
    }),
  },
  '/api/v1/users/me/cli-secrets/{id}': {
    delete: operation('revokeCliSecret', {
      summary: 'Revoke one of your CLI secrets.', tag: 'cli-secrets', errors: [404],
      parameters: [parameter('id', 'path', { type: 'string', pattern: '^\\d+$' }, 'The secret\'s id.')],
    }),
  },
  '/api/v1/projects': {
    get: operation('listProjects', {
      summary: 'List the projects the caller may see.', tag: 'projects', parameters: [searchParameter], response: 'ProjectPage', paged: true,
      description: 'System administrators see all; users public ones and those where they hold a role; robot accounts those their permissions name, and public ones.',
    }),
    post: operation('createProject', { summary: 'Create a project (system administrators).', tag: 'projects', body: 'CreateProject', status: 201, response: 'Project', errors: [409] }),
  },
  '/api/v1/projects/{name}': {
    get: operation('getProject', { summary: 'A project with what the caller may do in it (needs view-project; anonymous callers see public projects).', tag: 'projects', parameters: [projectName], response: 'ProjectWithCapabilities', errors: [404] }),
    patch: operation('updateProject', { summary: 'Change its visibility (needs update-project: project admin).', tag: 'projects', parameters: [projectName], body: 'UpdateProject', response: 'Project', errors: [404] }),
    delete: operation('deleteProject', {
      summary: 'Delete an empty project (needs update-project: project admin).', tag: 'projects', parameters: [projectName], errors: [404, 409],
      description: 'A project that still holds repositories is refused with 409, naming the first of them.',
    }),
  },
  '/api/v1/projects/{name}/members': {
    get: operation('listMembers', {
      summary: 'Members and their roles (needs view-members: guest or higher).', tag: 'members', parameters: [projectName], response: 'MemberPage', paged: true, errors: [404],
      description: 'Ordered by "<kind>:<name>", which is also the `last` to page with.',
    }),
    put: operation('setMember', {
      summary: 'Give a user or group a role (needs manage-members: project admin).', tag: 'members', parameters: [projectName], body: 'SetMember', response: 'Member', errors: [404],
      description: 'Replaces the role the member held. The user or group must exist (404 otherwise).',
    }),
  },
  '/api/v1/projects/{name}/members/{kind}/{memberName}': {
    delete: operation('removeMember', {
      summary: 'Take a member\'s role away (needs manage-members).', tag: 'members', errors: [400, 404],
      parameters: [projectName, parameter('kind', 'path', { type: 'string', enum: ['user', 'group'] }, 'user or group.'), pathParameter('memberName', 'The user\'s or group\'s name.')],
    }),
  },
  '/api/v1/robots': {
    get: operation('listRobots', {
      summary: 'List robot accounts.', tag: 'robots', response: 'RobotPage', paged: true, errors: [404],
      parameters: [parameter('project', 'query', { type: 'string' }, 'Only robots with a permission on this project; required for project administrators.')],
      description: 'System administrators list all; a project administrator (manage-robots) those of a project they administer.',
    }),
    post: operation('createRobot', {
      summary: 'Create a robot account; its secret is in the response only.', tag: 'robots', body: 'CreateRobot', status: 201, response: 'RobotCreated', errors: [404, 409],
      description: 'System administrators may name any project, or "*"; a project administrator only projects where they hold manage-robots. Each project must exist.',
    }),
  },
  '/api/v1/robots/{name}': {
    get: operation('getRobot', { summary: 'A robot account.', tag: 'robots', parameters: [robotName], response: 'Robot', errors: [404] }),
    patch: operation('updateRobot', { summary: 'Change its description, permissions or expiry.', tag: 'robots', parameters: [robotName], body: 'UpdateRobot', response: 'Robot', errors: [404] }),
    delete: operation('deleteRobot', { summary: 'Delete a robot account.', tag: 'robots', parameters: [robotName], errors: [404] }),
  },
  '/api/v1/robots/{name}/revoke': {
    post: operation('revokeRobot', { summary: 'Revoke a robot account for good.', tag: 'robots', parameters: [robotName], response: 'Robot', errors: [404] }),
  },
  '/api/v1/robots/{name}/secret': {
    post: operation('rotateRobotSecret', {
      summary: 'Give the robot account a new secret; the old one stops working.', tag: 'robots', parameters: [robotName], errors: [404, 409],
      response: 'RobotSecret',
    }),
  },
  '/api/v1/groups': {
    get: operation('listGroups', { summary: 'List groups (system administrators).', tag: 'groups', response: 'GroupPage', paged: true }),
    post: operation('createGroup', { summary: 'Create a group (system administrators).', tag: 'groups', body: 'CreateGroup', status: 201, response: 'Group', errors: [409] }),
  },
  '/api/v1/groups/{name}': {
    get: operation('getGroup', { summary: 'A group (system administrators).', tag: 'groups', parameters: [groupName], response: 'Group', errors: [404] }),
    delete: operation('deleteGroup', { summary: 'Delete a group and its project roles (system administrators).', tag: 'groups', parameters: [groupName], errors: [404] }),
  },
  '/api/v1/groups/{name}/members': {
    get: operation('listGroupMembers', {
      summary: 'The group\'s members (system administrators).', tag: 'groups', parameters: [groupName], response: 'UserPage', paged: true, errors: [404],
      description: 'For LDAP and OpenID Connect groups: the users their provider named at their last login.',
    }),
  },
  '/api/v1/groups/{name}/members/{username}': {
    put: operation('addGroupMember', { summary: 'Add a user to a local group (system administrators).', tag: 'groups', parameters: [groupName, username], errors: [404, 409] }),
    delete: operation('removeGroupMember', { summary: 'Remove a user from a local group (system administrators).', tag: 'groups', parameters: [groupName, username], errors: [404, 409] }),
  },
  '/api/v1/audit': {
    get: operation('queryAudit', {
      summary: 'Audit events, newest first.', tag: 'audit', parameters: auditFilters, response: 'AuditEventPage', paged: true, errors: [400, 404],
      description: 'System administrators read everything; other users must give project= (or repository= within a project) where they hold view-members. `last` is the id of the last event of the previous page.',
    }),
  },
  '/api/v1/audit/export': {
    get: {
      ...operation('exportAudit', {
        summary: 'Every matching audit event as NDJSON, newest first.', tag: 'audit', errors: [400, 404],
        parameters: [...auditFilters, parameter('last', 'query', { type: 'string' }, 'Start before this event id.')],
        description: 'One JSON object (an AuditEvent) per line, streamed page by page; newest first, not oldest first. Same permissions as /api/v1/audit.',
      }),
      responses: {
        200: { description: 'One AuditEvent per line.', content: { 'application/x-ndjson': { schema: ref('AuditEvent') } } },
        400: { $ref: '#/components/responses/BadRequest' },
        401: { $ref: '#/components/responses/Unauthorized' },
        403: { $ref: '#/components/responses/Forbidden' },
        404: { $ref: '#/components/responses/NotFound' },
        429: { $ref: '#/components/responses/TooManyRequests' },
      },
    },
  },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Berth administration API',
    version: '1',
    description: 'Users, projects and their members, robot accounts, groups, CLI secrets and the audit log of a Berth registry. '
      + 'Needs access control on (BERTH_ADMIN_PASSWORD). Errors are {"errors":[{"code","message","detail"}]}. '
      + 'Lists are paged: `n` (default 100, at most 1000) and `last` (the `next` of the previous page), with a Link header to the next page.',
  },
  servers: [{ url: '/' }],
  security: [{ basic: [] }, { session: [], csrf: [] }],
  tags: ['me', 'users', 'cli-secrets', 'projects', 'members', 'robots', 'groups', 'audit', 'immutable-tags', 'quarantine', 'webhooks', 'contents', 'vulnerabilities', 'trust', 'jobs', 'meta'].map((name) => ({ name })),
  paths: { ...paths, ...policyPaths, ...webhookPaths, ...insightPaths, ...scanningPaths, ...scannerPaths, ...trustPaths },
  components: {
    securitySchemes: {
      basic: { type: 'http', scheme: 'basic', description: 'A user\'s username and password (or a CLI secret as the password), or robot$<name> and its secret.' },
      session: { type: 'apiKey', in: 'cookie', name: 'berth_session', description: 'The browser session of a signed-in user.' },
      csrf: { type: 'apiKey', in: 'header', name: 'x-berth-csrf', description: 'With a session, required on every request but GET and HEAD: the value of the berth_csrf cookie.' },
    },
    schemas: { ...schemas, ...policySchemas, ...webhookSchemas, ...insightSchemas, ...scanningSchemas, ...scannerSchemas, ...trustSchemas },
    responses,
  },
} as const;

export function registerOpenApiRoute(app: FastifyInstance): void {
  const body = JSON.stringify(openApiDocument);
  app.get('/api/v1/openapi.json', (_request, reply) => {
    reply.type('application/json').header('cache-control', 'no-cache').send(body);
  });
}

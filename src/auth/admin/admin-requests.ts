import { z, type ZodErrorMap, type ZodIssue, type ZodType, type ZodTypeDef } from 'zod';
import { RegistryError } from '../../errors/registry-error.js';
import type { ProjectRole } from '../../metadata/access-store.js';
import { isValidName } from '../../oci/names.js';
import { passwordProblem } from '../passwords.js';
import { projectRoles } from '../roles.js';

/**
 * What the administration API accepts, as zod schemas: the names Berth allows and the shape of every request body
 * and query. The HTTP layer reads the JSON; these decide whether it is acceptable, and say what to send instead.
 */

/** Letters, digits and ".", "_", "@", "+", "-": an e-mail address fits, "$" never does (robot accounts own it). */
export const usernamePattern = /^[A-Za-z0-9][A-Za-z0-9._@+-]*$/;
/** The name of a robot account without its "robot$" prefix. */
export const robotNamePattern = /^[a-z0-9]+(?:[._+-][a-z0-9]+)*$/;
export const robotPrefix = 'robot$';
export const maxPageSize = 1000;
export const defaultPageSize = 100;

const controlCharacters = /[\u0000-\u001f\u007f]/;

const username = z.string().min(1, 'send a username of 1 to 128 characters').max(128, 'a username may have at most 128 characters')
  .regex(usernamePattern, 'use letters, digits, ".", "_", "@", "+" or "-", starting with a letter or digit');

/** Group names follow the username rules: both appear side by side as project members. */
const groupName = username;

const password = z.string().superRefine((value, context) => {
  const problem = passwordProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

const email = z.string().max(254, 'an e-mail address may have at most 254 characters')
  .email('send an e-mail address such as alice@example.com');

const text = (max: number, what: string) => z.string().min(1, `send a non-empty ${what}`)
  .max(max, `a ${what} may have at most ${max} characters`)
  .refine((value) => !controlCharacters.test(value), `a ${what} may not contain control characters`);

/** A project is named like one component of a repository name: it is the first component of its repositories. */
export const projectName = z.string().min(1, 'send a project name').max(255, 'a project name may have at most 255 characters')
  .refine((value) => isValidName(value) && !value.includes('/'),
    'use lowercase letters and digits, separated by ".", "_", "__" or "-" (one component of a repository name, no "/")');

const robotName = z.string().min(1, 'send a robot account name').max(64, 'a robot account name may have at most 64 characters')
  .refine((value) => !value.startsWith(robotPrefix), `send the name without the "${robotPrefix}" prefix: Berth adds it`)
  .pipe(z.string().regex(robotNamePattern, 'use lowercase letters and digits separated by ".", "_", "+" or "-"'));

const robotActions = ['pull', 'push', 'delete'] as const;

const robotPermission = z.object({
  project: z.union([z.literal('*'), projectName], {
    errorMap: () => ({ message: 'send a project name, or "*" for every project (system administrators only)' }),
  }),
  actions: z.array(z.enum(robotActions)).min(1, 'send at least one of "pull", "push", "delete"')
    .transform((actions) => robotActions.filter((action) => actions.includes(action))),
}).strict();

const robotPermissions = z.array(robotPermission).min(1, 'send at least one permission: { "project": "<name>", "actions": ["pull"] }')
  .max(100, 'a robot account may name at most 100 projects')
  .superRefine((permissions, context) => {
    const seen = new Set<string>();
    permissions.forEach((permission, index) => {
      if (seen.has(permission.project)) {
        context.addIssue({ code: 'custom', path: [index, 'project'], message: `"${permission.project}" is listed twice: list each project once, with all its actions` });
      }
      seen.add(permission.project);
    });
  });

const days = (max: number) => z.number().int('send a whole number of days').min(1, 'send at least 1 day').max(max, `send at most ${max} days`);

export const createUserRequest = z.object({
  username,
  password,
  email: email.optional(),
  displayName: text(200, 'display name').optional(),
  admin: z.boolean().optional(),
}).strict();

export const updateUserRequest = z.object({
  password: password.optional(),
  currentPassword: z.string().max(4096).optional(),
  email: email.nullable().optional(),
  displayName: text(200, 'display name').nullable().optional(),
  admin: z.boolean().optional(),
  disabled: z.boolean().optional(),
}).strict().refine((change) => change.currentPassword === undefined || change.password !== undefined, {
  message: 'currentPassword goes with password (the new one): send both to change your password', path: ['password'],
});

export const createProjectRequest = z.object({ name: projectName, public: z.boolean().optional() }).strict();
export const updateProjectRequest = z.object({ public: z.boolean({ required_error: 'send "public": true or false' }) }).strict();

export const memberKinds = ['user', 'group'] as const;
export const memberKind = z.enum(memberKinds);
export const memberPath = z.object({ kind: memberKind });

export const setMemberRequest = z.object({
  kind: memberKind,
  name: z.string().min(1, 'send the user\'s or group\'s name').max(256),
  role: z.enum(projectRoles as [ProjectRole, ...ProjectRole[]]),
}).strict();

export const createRobotRequest = z.object({
  name: robotName,
  description: text(1000, 'description').optional(),
  permissions: robotPermissions,
  expiresInDays: days(3650).nullable().optional(),
}).strict();

export const updateRobotRequest = z.object({
  description: text(1000, 'description').nullable().optional(),
  permissions: robotPermissions.optional(),
  expiresInDays: days(3650).nullable().optional(),
}).strict();

export const createGroupRequest = z.object({
  name: groupName,
  source: z.enum(['local', 'ldap', 'oidc']),
  externalName: text(1024, 'external name').optional(),
}).strict().superRefine((group, context) => {
  if (group.source === 'local' && group.externalName !== undefined) {
    context.addIssue({ code: 'custom', path: ['externalName'], message: 'a local group has no externalName: its members are listed here' });
  }
  if (group.source !== 'local' && group.externalName === undefined) {
    context.addIssue({
      code: 'custom', path: ['externalName'],
      message: group.source === 'ldap' ? 'send the LDAP group\'s DN, e.g. "cn=developers,ou=groups,dc=example,dc=com"'
        : 'send the value of the OpenID Connect groups claim that stands for this group',
    });
  }
});

export const createCliSecretRequest = z.object({
  name: text(100, 'name'),
  expiresInDays: days(365).default(90),
}).strict();

/** `n` and `last`: a page size (cut to the maximum, as the registry's own listings do) and where to continue. */
export const pageSize = z.string().regex(/^\d{1,9}$/, `send n as a whole number from 1 to ${maxPageSize}`)
  .transform(Number).refine((n) => n >= 1, `send n as a whole number from 1 to ${maxPageSize}`)
  .transform((n) => Math.min(n, maxPageSize));

const pageFields = {
  n: pageSize.default(String(defaultPageSize)),
  // An empty `last` is no `last`: the first page.
  last: z.string().max(1024).optional().transform((value) => (value === '' ? undefined : value)),
};

export const pageQuery = z.object(pageFields);
export const searchQuery = z.object({ ...pageFields, q: z.string().max(256).optional() });
export const robotsQuery = z.object({ ...pageFields, project: z.union([z.literal('*'), projectName]).optional() });

/** An instant given as an ISO 8601 time or as milliseconds since the epoch. */
export const instant = z.string().transform((value, context) => {
  const at = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(at)) {
    context.addIssue({ code: 'custom', message: 'send an ISO 8601 time (2025-01-31T12:00:00Z) or milliseconds since the epoch' });
    return z.NEVER;
  }
  return at;
});

const auditFilterFields = {
  actor: z.string().min(1).max(256).optional(),
  action: z.string().min(1).max(64).optional(),
  repository: z.string().min(1).max(255).optional(),
  project: projectName.optional(),
  outcome: z.enum(['ok', 'denied', 'failed']).optional(),
  since: instant.optional(),
  until: instant.optional(),
};

const eventId = z.string().regex(/^\d{1,15}$/, 'send last as the id of an audit event (the "next" of the previous page)').transform(Number);

export const auditQuery = z.object({ ...auditFilterFields, n: pageFields.n, last: eventId.optional() });
export const auditExportQuery = z.object({ ...auditFilterFields, last: eventId.optional() });

export type CreateUserRequest = z.infer<typeof createUserRequest>;
export type UpdateUserRequest = z.infer<typeof updateUserRequest>;
export type CreateProjectRequest = z.infer<typeof createProjectRequest>;
export type SetMemberRequest = z.infer<typeof setMemberRequest>;
export type CreateRobotRequest = z.infer<typeof createRobotRequest>;
export type UpdateRobotRequest = z.infer<typeof updateRobotRequest>;
export type CreateGroupRequest = z.infer<typeof createGroupRequest>;
export type CreateCliSecretRequest = z.infer<typeof createCliSecretRequest>;
export type AuditExportQuery = z.infer<typeof auditExportQuery>;

/**
 * The value if the schema accepts it; INVALID_REQUEST otherwise, whose message names the first field at fault and
 * what to send, and whose detail lists every problem with its path.
 */
export function parseRequest<Output>(schema: ZodType<Output, ZodTypeDef, unknown>, value: unknown, where: 'body' | 'query' | 'path'): Output {
  const result = schema.safeParse(value, { errorMap: explain });
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: pathOf(where, issue.path), message: messageOf(issue, schema) }));
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more: see detail.issues)` : '';
  throw new RegistryError('INVALID_REQUEST', `${first!.path}: ${first!.message}${more}`, { issues });
}

/** Zod's default wording, made to say what to send. */
const explain: ZodErrorMap = (issue, context) => {
  if (issue.code === 'invalid_type') {
    if (issue.received === 'undefined') return { message: `required: send ${article(issue.expected)}` };
    return { message: `expected ${article(issue.expected)}, got ${issue.received}` };
  }
  if (issue.code === 'invalid_enum_value') {
    return { message: `send one of ${issue.options.map((option) => JSON.stringify(option)).join(', ')}` };
  }
  return { message: context.defaultError };
};

function messageOf(issue: ZodIssue, schema: ZodType<unknown, ZodTypeDef, unknown>): string {
  if (issue.code !== 'unrecognized_keys') return issue.message;
  const unknownKeys = issue.keys.map((key) => `"${key}"`).join(', ');
  const shape = issue.path.length === 0 ? shapeOf(schema) : undefined;
  return shape ? `unknown field ${unknownKeys}: the accepted fields are ${shape.join(', ')}` : `unknown field ${unknownKeys}`;
}

/** The field names of an object schema, looking through refinements and defaults. */
function shapeOf(schema: ZodType<unknown, ZodTypeDef, unknown>): string[] | undefined {
  let current: unknown = schema;
  for (let depth = 0; depth < 5; depth++) {
    if (current instanceof z.ZodObject) return Object.keys(current.shape as Record<string, unknown>);
    if (current instanceof z.ZodEffects) current = current.innerType();
    else return undefined;
  }
  return undefined;
}

function pathOf(where: string, path: readonly (string | number)[]): string {
  let text = where;
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : `.${part}`;
  return text;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

import { z } from 'zod';
import { instant, pageSize, projectName } from '../auth/admin/admin-requests.js';
import { isValidGlob } from '../registry/glob.js';
import type { PropertyFilter } from '../metadata/insight-store.js';

/**
 * What the query API, tag lists, "latest" and usage accept, as zod schemas. Patterns are globs (matched in linear
 * time, never a backtracking regular expression); every value is bounded, and a malformed one is refused with a 400
 * that names the parameter and what to send.
 */

const repository = z.string().min(1, 'send a repository name').max(255, 'a repository name has at most 255 characters');
const glob = z.string().refine(isValidGlob, 'send a glob of 1 to 256 printable characters: * within a path component, ** across, ? one character');
const last = z.string().max(2048).optional().transform((value) => (value === '' ? undefined : value));
const order = z.enum(['asc', 'desc']);

/** `os/architecture` or `os/architecture/variant`. */
const platform = z.string().max(128).transform((value, context) => {
  const parts = value.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => !/^[A-Za-z0-9._-]{1,64}$/.test(part))) {
    context.addIssue({ code: 'custom', message: 'send a platform as os/architecture or os/architecture/variant, for example linux/arm64/v8' });
    return z.NEVER;
  }
  return { os: parts[0]!, architecture: parts[1]!, variant: parts[2] };
});

/** `key=value`, or `key` alone for "present": repeated parameters, all of which must hold. */
const properties = z.union([z.string(), z.array(z.string()).max(32, 'send at most 32 label or annotation filters')]).optional()
  .transform((value, context): PropertyFilter[] => {
    const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
    const filters: PropertyFilter[] = [];
    for (const entry of list) {
      const equals = entry.indexOf('=');
      const key = equals === -1 ? entry : entry.slice(0, equals);
      if (key.length === 0 || key.length > 256 || entry.length > 4352) {
        context.addIssue({ code: 'custom', message: 'send key=value (or key alone for "has the key"), with a key of 1 to 256 characters' });
        return z.NEVER;
      }
      filters.push(equals === -1 ? { key } : { key, value: entry.slice(equals + 1) });
    }
    return filters;
  });

const bytes = z.string().regex(/^\d{1,15}$/, 'send a size in bytes as a whole number').transform(Number).optional();

export const tagListQuery = z.object({
  repository,
  sort: z.enum(['name', 'version', 'pushed', 'pulled']).default('name'),
  order: order.optional(),
  pattern: glob.optional(),
  n: pageSize.default('100'),
  last,
}).strict();

export const artifactQuery = z.object({
  project: projectName.optional(),
  repository: glob.optional(),
  tag: glob.optional(),
  label: properties,
  annotation: properties,
  platform: platform.optional(),
  mediaType: z.string().min(1).max(255).optional(),
  artifactType: z.string().min(1).max(255).optional(),
  pushedAfter: instant.optional(),
  pushedBefore: instant.optional(),
  pulledAfter: instant.optional(),
  pulledBefore: instant.optional(),
  minSize: bytes,
  maxSize: bytes,
  sort: z.enum(['name', 'pushed', 'size', 'pulled']).default('name'),
  order: order.optional(),
  n: pageSize.default('100'),
  last,
}).strict();

export const latestQuery = z.object({
  repository,
  by: z.enum(['semver', 'pushed', 'created']).default('semver'),
  platform: platform.optional(),
  range: z.string().min(1).max(256).optional(),
  prerelease: z.enum(['true', 'false']).optional().transform((value) => value === 'true'),
}).strict();

export const repositoryQuery = z.object({ name: repository }).strict();
export const repositoriesQuery = z.object({ q: z.string().max(256).optional(), n: pageSize.default('100'), last }).strict();
export const artifactReferenceQuery = z.object({
  repository,
  reference: z.string().min(1, 'send a tag or digest').max(200, 'a reference has at most 200 characters'),
}).strict();
export const searchRequestQuery = z.object({
  q: z.string().min(1, 'send some text to search for').max(256, 'search text has at most 256 characters'),
  n: pageSize.default('20'),
}).strict();
export const jobsQuery = z.object({
  status: z.enum(['queued', 'running', 'done', 'failed']).optional(),
  kind: z.string().min(1).max(128).optional(),
  n: pageSize.default('100'),
  last: z.string().regex(/^\d{1,15}$/, 'send last as the id of a job (the "next" of the previous page)').transform(Number).optional(),
}).strict();

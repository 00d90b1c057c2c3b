import { z } from 'zod';
import { pageSize } from '../../auth/admin/admin-requests.js';
import { severities } from './vulnerability-report.js';

/** What the vulnerability API accepts; a malformed value is refused with a 400 naming the parameter. */

const repository = z.string().min(1, 'send a repository name').max(255, 'a repository name has at most 255 characters');
const reference = z.string().min(1, 'send a tag or digest').max(200, 'a reference has at most 200 characters');

export const vulnerabilityQuery = z.object({
  repository,
  reference,
  severity: z.string().transform((value) => value.toUpperCase()).pipe(z.enum(severities as [typeof severities[number], ...typeof severities[number][]], {
    errorMap: () => ({ message: `send one of ${severities.join(', ')} (case does not matter): findings at or above it are listed` }),
  })).optional(),
  package: z.string().min(1).max(256).optional(),
  fixable: z.enum(['true', 'false'], { errorMap: () => ({ message: 'send true (only findings with a fix) or false (only those without)' }) })
    .transform((value) => value === 'true').optional(),
}).strict();

export const scanRequestBody = z.object({ repository, reference }).strict();

const severity = z.string().transform((value) => value.toUpperCase()).pipe(z.enum(severities as [typeof severities[number], ...typeof severities[number][]], {
  errorMap: () => ({ message: `send one of ${severities.join(', ')} (case does not matter), or null for no blocking` }),
}));

export const vulnerabilityPolicyBody = z.object({
  /** Pulls of images with a finding at or above it are refused; null: none are. */
  blockSeverity: severity.nullable().optional(),
  blockUnscanned: z.boolean().optional(),
  autoQuarantine: z.boolean().optional(),
}).strict();

export const allowlistBody = z.object({
  advisory: z.string().min(1, 'send the advisory id or a CVE').max(256).regex(/^[^\s\u0000-\u001f\u007f]+$/, 'an advisory id has no spaces or control characters'),
  reason: z.string().min(1, 'say why the advisory does not apply').max(1024),
  /** ISO 8601 or milliseconds; absent: it does not expire. */
  expiresAt: z.union([z.string(), z.number()]).transform((value, context) => {
    const at = typeof value === 'number' ? value : /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isFinite(at)) {
      context.addIssue({ code: 'custom', message: 'send expiresAt as an ISO 8601 time (2027-01-31T00:00:00Z) or milliseconds since the epoch' });
      return z.NEVER;
    }
    return at;
  }).optional(),
}).strict();

/** A project's vulnerability overview: a page of its images, worst first. */
export const projectVulnerabilitiesQuery = z.object({
  n: pageSize.default('50'),
  // An empty `last` is no `last`: the first page.
  last: z.string().max(2048).optional().transform((value) => (value === '' ? undefined : value)),
}).strict();

import { z } from 'zod';
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

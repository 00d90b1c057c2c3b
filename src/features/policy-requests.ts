import { z } from 'zod';
import { isValidName } from '../oci/names.js';

/**
 * What the administration API accepts for the registry's policies (immutable tags, quarantine and recall), as zod
 * schemas whose messages say what to send.
 */

const controlCharacters = /[\u0000-\u001f\u007f]/;
const repository = z.string().max(255, 'a repository name may have at most 255 characters')
  .refine(isValidName, 'send a repository name such as team/app (lowercase components joined by "/")');
const digest = z.string().regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, 'send a digest such as sha256:<64 hex digits>');
const pattern = (what: string) => z.string().min(1, `send a ${what} pattern`).max(256, `a ${what} pattern may have at most 256 characters`)
  .refine((value) => !controlCharacters.test(value), `a ${what} pattern may not contain control characters`);

export const addImmutableRuleRequest = z.object({
  tags: pattern('tag'),
  repositories: pattern('repository').default('**'),
}).strict();

export const ruleIdPath = z.object({ id: z.coerce.number().int().positive('send the rule\'s id, a positive whole number') });

export const quarantineRequest = z.object({
  repository,
  digest,
  reason: z.string().min(1, 'say why the image is quarantined: consumers see it when their pull is refused')
    .max(1024, 'a reason may have at most 1024 characters')
    .refine((value) => !controlCharacters.test(value), 'a reason may not contain control characters'),
}).strict();

export const artifactQuery = z.object({ repository, digest }).strict();

export const quarantinesQuery = z.object({
  project: z.string().max(255).optional(),
  n: z.coerce.number().int().min(1).max(1000).default(100),
}).strict();

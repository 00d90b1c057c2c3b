import { z } from 'zod';
import { trustModes } from '../../metadata/trust-store.js';

/** What the trust API accepts, as zod schemas whose messages say what to send. */

const keyName = z.string().min(1, 'send a name for the key').max(64, 'a key name has at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a key name is letters, digits, ".", "_" and "-", starting with a letter or digit');

const identity = z.object({
  subject: z.string().min(1, 'send the certificate\'s e-mail address or URI').max(512, 'an identity has at most 512 characters'),
  issuer: z.string().min(1).max(512, 'an issuer has at most 512 characters').optional(),
}).strict();

export const trustPolicyBody = z.object({
  mode: z.enum(trustModes as [string, ...string[]], { errorMap: () => ({ message: `send a mode: ${trustModes.join(', ')}` }) }).optional(),
  identities: z.array(identity).max(100, 'at most 100 identities').optional(),
}).strict().refine((body) => body.mode !== undefined || body.identities !== undefined, 'send a mode, identities, or both');

export const trustKeyBody = z.object({
  name: keyName.default('default'),
  cosignKey: z.string().min(1, 'send the cosign public key (the PEM cosign.pub holds)').max(16_384, 'a public key has at most 16 KiB of PEM').optional(),
  caCertificates: z.string().min(1, 'send the CA certificates as PEM').max(262_144, 'CA certificates have at most 256 KiB of PEM').optional(),
}).strict().refine((body) => (body.cosignKey === undefined) !== (body.caCertificates === undefined),
  'send either cosignKey (a cosign public key) or caCertificates (CA certificates that signing certificates chain to)');

export const trustKeyPath = z.object({ key: keyName });

export const trustStatusQuery = z.object({
  repository: z.string().min(1, 'send a repository name').max(255, 'a repository name has at most 255 characters'),
  reference: z.string().min(1, 'send a tag or digest').max(200, 'a reference has at most 200 characters'),
}).strict();

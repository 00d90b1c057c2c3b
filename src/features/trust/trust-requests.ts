import { z } from 'zod';
import { trustModes } from '../../metadata/trust-store.js';

/** What the trust API accepts, as zod schemas whose messages say what to send. */

/** Keys are named plainly; notation trust stores as policies name them, `ca:NAME`, `signingAuthority:NAME`, `tsa:NAME`. */
const keyName = z.string().min(1, 'send a name for the key').max(64, 'a key name has at most 64 characters')
  .regex(/^(?:(?:ca|signingAuthority|tsa):)?[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'a key name is letters, digits, ".", "_" and "-", starting with a letter or digit; a notation trust store\'s is prefixed by its type (ca:NAME, signingAuthority:NAME, tsa:NAME)');

const identity = z.object({
  subject: z.string().min(1, 'send the certificate\'s e-mail address or URI').max(512, 'an identity has at most 512 characters'),
  issuer: z.string().min(1).max(512, 'an issuer has at most 512 characters').optional(),
}).strict();

export const trustPolicyBody = z.object({
  mode: z.enum(trustModes as [string, ...string[]], { errorMap: () => ({ message: `send a mode: ${trustModes.join(', ')}` }) }).optional(),
  identities: z.array(identity).max(100, 'at most 100 identities').optional(),
  perPlatform: z.boolean({ invalid_type_error: 'perPlatform is true (each platform of an index needs its own signature) or false' }).optional(),
  // A Notary Project trust policy document (checked whole by the service, every problem named), or null to remove it.
  notationPolicy: z.record(z.unknown(), { invalid_type_error: 'notationPolicy is a notation trust policy document (a JSON object with version and trustPolicies) or null' })
    .nullable().optional(),
}).strict().refine((body) => Object.values(body).some((value) => value !== undefined), 'send at least one of mode, identities, perPlatform, notationPolicy');

export const trustKeyBody = z.object({
  name: keyName.default('default'),
  cosignKey: z.string().min(1, 'send the cosign public key (the PEM cosign.pub holds)').max(16_384, 'a public key has at most 16 KiB of PEM').optional(),
  caCertificates: z.string().min(1, 'send the CA certificates as PEM').max(262_144, 'CA certificates have at most 256 KiB of PEM').optional(),
  notationCertificates: z.string().min(1, 'send the trust store\'s certificates as PEM').max(262_144, 'a trust store has at most 256 KiB of PEM').optional(),
}).strict()
  .refine((body) => [body.cosignKey, body.caCertificates, body.notationCertificates].filter((one) => one !== undefined).length === 1,
    'send one of cosignKey (a cosign public key), caCertificates (CA certificates that cosign signing certificates chain to) or notationCertificates (a notation trust store)')
  .refine((body) => body.name.includes(':') === (body.notationCertificates !== undefined),
    'notation trust stores, and only they, are named TYPE:NAME (ca:NAME, signingAuthority:NAME, tsa:NAME) as trust policies name them');

export const trustKeyPath = z.object({ key: keyName });

export const trustStatusQuery = z.object({
  repository: z.string().min(1, 'send a repository name').max(255, 'a repository name has at most 255 characters'),
  reference: z.string().min(1, 'send a tag or digest').max(200, 'a reference has at most 200 characters'),
}).strict();

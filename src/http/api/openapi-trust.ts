import { object, operation, parameter, pathParameter, ref, time, type Schema } from './openapi-kit.js';

/** The OpenAPI description of signature trust: each project's mode and trusted keys, and any manifest's signatures. */

const nullable = (schema: Schema): Schema => ({ ...schema, type: [schema.type as string, 'null'] });

export const trustSchemas: Record<string, Schema> = {
  TrustKey: object({
    name: { type: 'string', description: 'Unique in the project; verdicts name the signer by it. A notation trust store\'s is TYPE:NAME (ca:acme), as trust policies name it.' },
    kind: { type: 'string', enum: ['cosign-key', 'ca-roots', 'notation-store'], description: 'A cosign public key, CA certificates that cosign signing certificates must chain to, or a notation trust store.' },
    hint: { type: 'string', description: 'A key: base64 of the SHA-256 of its DER (SubjectPublicKeyInfo), as sigstore bundles name keys. CA certificates: the first one\'s SHA-256 fingerprint.' },
    pem: { type: 'string', description: 'The public key or the certificates, PEM.' },
    createdBy: { type: 'string' },
    createdAt: time('When the key was added.'),
  }),
  ProjectTrust: object({
    project: { type: 'string' },
    mode: { type: 'string', enum: ['off', 'audit', 'enforce'], description: 'off: signatures are not checked; audit: pulls go on and verdicts are recorded; enforce: pulls of manifests without a valid signature from a trusted key are refused (403 DENIED), except for those who may push to the repository.' },
    identities: { type: 'array', items: ref('SignerIdentity'), description: 'A certificate signer must have one of these; empty: any certificate the project\'s CA certificates vouch for. Keys are not concerned.' },
    perPlatform: { type: 'boolean', description: 'Each platform of an index needs a signature of its own; the index itself is served. Otherwise a signed index vouches for the platforms it lists.' },
    notationPolicy: nullable({ type: 'object', description: 'The Notary Project trust policy document (version 1.0) notation signatures are verified by; registry scopes name the project\'s repositories, with or without the registry\'s host. Null: notation signatures are answered "no policy".' }),
    updatedBy: nullable({ type: 'string' }),
    updatedAt: nullable(time('When the policy was last set.')),
    keys: { type: 'array', items: ref('TrustKey') },
  }),
  SignerIdentity: object({
    subject: { type: 'string', description: 'A subject alternative name of the signing certificate: an e-mail address or a URI, compared exactly.' },
    issuer: nullable({ type: 'string', description: 'The OIDC issuer the certificate must carry (Fulcio-style extension), if any.' }),
  }, ['subject']),
  SetTrustPolicy: object({
    mode: { type: 'string', enum: ['off', 'audit', 'enforce'] },
    identities: { type: 'array', maxItems: 100, items: ref('SignerIdentity') },
    perPlatform: { type: 'boolean' },
    notationPolicy: nullable({ type: 'object', description: 'A notation trust policy document, checked whole (every problem named), or null to remove it.' }),
  }, []),
  AddTrustKey: object({
    name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^(?:(?:ca|signingAuthority|tsa):)?[A-Za-z0-9][A-Za-z0-9._-]*$', default: 'default' },
    cosignKey: { type: 'string', minLength: 1, maxLength: 16384, description: 'The PEM public key cosign generate-key-pair writes (cosign.pub): ECDSA P-256/384/521, Ed25519 or RSA of 2048 bits or more.' },
    caCertificates: { type: 'string', minLength: 1, maxLength: 262144, description: 'Instead of cosignKey: CA certificates (PEM) that signing certificates (cosign sign --certificate --certificate-chain) must chain to.' },
    notationCertificates: { type: 'string', minLength: 1, maxLength: 262144, description: 'Instead: a notation trust store\'s certificates (PEM), the key named TYPE:NAME as the notation trust policy\'s trustStores name it.' },
  }, []),
  SignatureVerdict: object({
    artifact: { type: 'string', description: 'The signature manifest\'s digest.' },
    via: { type: 'string', enum: ['tag', 'referrer'], description: 'Found through cosign\'s sha256-<hex>.sig tag, or as a referrer (subject) of the manifest.' },
    tool: { type: 'string', enum: ['cosign', 'notation'] },
    format: { type: 'string', enum: ['cosign-simple-signing', 'sigstore-bundle', 'cosign-attestation', 'notation-jws', 'notation-cose'] },
    valid: { type: 'boolean' },
    signer: nullable({ type: 'string', description: 'The trusted key\'s name, or a certificate\'s identity.' }),
    role: nullable({ type: 'string', enum: ['signature', 'attestation'] }),
    reason: nullable({ type: 'string', description: 'Why it is not valid; for a valid one, what was only logged.' }),
    failure: nullable({ type: 'string', enum: ['malformed', 'wrong-subject', 'bad-signature', 'untrusted-signer', 'expired', 'unsupported', 'no-policy', 'skipped'] }),
    validUntil: nullable(time('When a certificate it rests on expires.')),
  }),
  SignatureStatus: object({
    repository: { type: 'string' },
    digest: { type: 'string' },
    mode: { type: 'string', enum: ['off', 'audit', 'enforce'], description: 'The project\'s trust mode.' },
    verified: { type: 'boolean', description: 'Whether a pull would be let through under enforce.' },
    basis: { type: 'string', enum: ['signed', 'signed-index', 'platforms', 'accessory', 'unsigned', 'untrusted'], description: 'platforms: an index under per-platform enforcement, served while each platform is checked when pulled.' },
    index: nullable({ type: 'string', description: 'For signed-index: the signed index that lists this manifest.' }),
    signatures: { type: 'array', items: ref('SignatureVerdict') },
  }),
};

const projectName = pathParameter('name', 'The project name.');

export const trustPaths: Record<string, Record<string, Schema>> = {
  '/api/v1/projects/{name}/trust': {
    get: operation('getProjectTrust', { summary: 'The project\'s signature trust: its mode and trusted keys (members).', tag: 'trust', parameters: [projectName], response: 'ProjectTrust', errors: [404] }),
    put: operation('setTrustPolicy', { summary: 'Set the project\'s trust mode, the identities required of certificate signers, per-platform enforcement or the notation trust policy (maintainers); what is not sent stays.', tag: 'trust', parameters: [projectName], body: 'SetTrustPolicy', response: 'ProjectTrust', errors: [404] }),
  },
  '/api/v1/projects/{name}/trust/keys': {
    post: operation('addTrustKey', {
      summary: 'Trust a cosign public key, CA certificates, or a notation trust store (maintainers): signatures made with the key, or with a certificate chaining to them, are valid for the project\'s images.',
      tag: 'trust', parameters: [projectName], body: 'AddTrustKey', status: 201, response: 'TrustKey', errors: [404],
    }),
  },
  '/api/v1/projects/{name}/trust/keys/{key}': {
    delete: operation('removeTrustKey', { summary: 'Stop trusting a key (maintainers).', tag: 'trust', parameters: [projectName, pathParameter('key', 'The key\'s name.')], errors: [404] }),
  },
  '/api/v1/signatures': {
    get: operation('getSignatureStatus', {
      summary: 'A manifest\'s signatures, each verified against its project\'s trusted keys, and whether a pull would be let through (whoever may pull).',
      tag: 'trust',
      parameters: [
        parameter('repository', 'query', { type: 'string', maxLength: 255 }, 'The repository.'),
        parameter('reference', 'query', { type: 'string', maxLength: 200 }, 'A tag or digest.'),
      ],
      response: 'SignatureStatus', errors: [404],
    }),
  },
};

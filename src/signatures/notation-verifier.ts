import { distinguishedName } from './certificate-facts.js';
import { algorithmForKey, describeKey, type NotationEnvelope, notationPayloadType } from './notation-envelope.js';
import { readNotationCose } from './notation-cose.js';
import { readNotationJws } from './notation-jws.js';
import { matchTargetArtifact, type NotationSubject, parseNotationPayload } from './notation-payload.js';
import { type CheckAction, identityTrusted, selectTrustPolicy, type TrustPolicyDocument, type TrustStores, trustAnchors, type VerificationCheck } from './notation-trust-policy.js';
import { type SignatureFormat, type SignatureVerdict, errorText, type FailureKind, invalid } from './verdict.js';
import { anchorChain, type ChainCertificate, checkChainStructure, checkValidity, earliestExpiry, readChain } from './x509-chain.js';

/**
 * Verifies one notation signature (the envelope of a signature manifest's single layer) for the manifest pulled,
 * under the trust policy statement that applies to the repository, as the Notary Project's verification
 * specification orders it: integrity (envelope, signature, signed descriptor, chain structure) is always enforced;
 * authenticity (trust store, trusted identity), authentic timestamp (certificates valid now), expiry and revocation
 * are enforced or logged as the statement's level says. RFC 3161 timestamps are noted, not checked: a certificate
 * that has expired is never accepted on the strength of one.
 */
export interface NotationVerification {
  readonly envelope: Uint8Array;
  /** The layer's media type: `application/jose+json` or `application/cose`. */
  readonly envelopeMediaType: string;
  readonly subject: NotationSubject;
  readonly policy: TrustPolicyDocument;
  /** The repository as trust policies scope it: `registry-host/namespace/repository`. */
  readonly repository: string;
  readonly trustStores: TrustStores;
  readonly at?: Date;
}

export const notationMediaTypes = { jws: 'application/jose+json', cose: 'application/cose' } as const;

export async function verifyNotationSignature(input: NotationVerification): Promise<SignatureVerdict> {
  const format: SignatureFormat = input.envelopeMediaType === notationMediaTypes.cose ? 'notation-cose' : 'notation-jws';
  try {
    return await verify(input, format);
  } catch (error) {
    return invalid('notation', format, 'malformed', `the signature could not be read: ${errorText(error)}`);
  }
}

async function verify(input: NotationVerification, format: SignatureFormat): Promise<SignatureVerdict> {
  const fail = (failure: FailureKind, reason: string): SignatureVerdict => invalid('notation', format, failure, reason);
  const statement = selectTrustPolicy(input.policy, input.repository);
  if (statement === undefined) return fail('no-policy', `no notation trust policy applies to ${input.repository}`);
  if (statement.level === 'skip') return fail('skipped', `trust policy "${statement.name}" skips verification for ${input.repository}`);
  if (input.envelopeMediaType !== notationMediaTypes.jws && input.envelopeMediaType !== notationMediaTypes.cose) {
    return fail('malformed', `${input.envelopeMediaType} is not a notation envelope type`);
  }

  // Integrity: always enforced.
  const read = format === 'notation-cose' ? readNotationCose(input.envelope) : readNotationJws(input.envelope);
  if (!read.ok) return fail(read.failure, read.reason);
  const envelope = read.value;
  const chain = readChain(envelope.certificates);
  if (!chain.ok) return fail(chain.failure, chain.reason);
  const integrity = await checkIntegrity(envelope, chain.value, input.subject);
  if (integrity !== undefined) return fail(integrity.failure, integrity.reason);
  if (envelope.signingScheme !== 'notary.x509') {
    return fail('unsupported', envelope.signingScheme === 'notary.x509.signingAuthority' ? 'signing-authority signatures (notary.x509.signingAuthority) are not supported' : `signing scheme ${envelope.signingScheme} is not a notation scheme`);
  }

  const warnings: string[] = [];
  const apply = (check: VerificationCheck, failure: FailureKind, reason: string): SignatureVerdict | undefined => {
    const action: CheckAction = statement.actions[check];
    if (action === 'enforce') return fail(failure, reason);
    if (action === 'log') warnings.push(`${check} (logged by trust policy "${statement.name}"): ${reason}`);
    return undefined;
  };
  const leaf = chain.value[0]!;
  const signer = distinguishedName(leaf.facts.subject);

  // Authenticity: a configured CA store vouches for the chain, and the signer is a trusted identity.
  const { anchors, missing } = trustAnchors(statement, input.trustStores, 'ca');
  const anchored = anchorChain(chain.value, anchors);
  const path = anchored.ok ? anchored.value : chain.value.map((entry) => entry.certificate);
  if (!anchored.ok) {
    const stores = missing.length > 0 ? ` (trust store ${missing.join(', ')} is not configured)` : '';
    const refused = apply('authenticity', 'untrusted-signer', `${anchored.reason} of trust policy "${statement.name}"${stores}`);
    if (refused !== undefined) return refused;
  } else if (!identityTrusted(statement, leaf.facts.subject)) {
    const refused = apply('authenticity', 'untrusted-signer', `signer "${signer}" is not a trusted identity of trust policy "${statement.name}"`);
    if (refused !== undefined) return refused;
  }

  // Authentic timestamp: without a verified timestamp, every certificate must be valid now.
  const at = input.at ?? new Date();
  const validity = checkValidity(path, at);
  if (!validity.ok) {
    const timestamp = envelope.hasTimestamp ? '; the envelope carries an RFC 3161 timestamp, which Berth does not check, so the signing time cannot be trusted' : '';
    const refused = apply('authenticTimestamp', 'expired', validity.reason + timestamp);
    if (refused !== undefined) return refused;
  } else if (envelope.hasTimestamp) {
    warnings.push('the RFC 3161 timestamp was not checked (the certificates are valid now, which suffices)');
  }

  if (envelope.expiry !== undefined && at >= envelope.expiry) {
    const refused = apply('expiry', 'expired', `the signature expired on ${envelope.expiry.toISOString()}`);
    if (refused !== undefined) return refused;
  }

  // Revocation needs OCSP or CRLs from the network; offline its status is unknown, never assumed good.
  if (statement.actions.revocation !== 'skip' && chain.value.some((entry) => entry.facts.namesRevocationService)) {
    const refused = apply('revocation', 'unsupported', 'the certificates name revocation services, which Berth cannot ask offline (set override revocation to log or skip)');
    if (refused !== undefined) return refused;
  }

  const expiries = [earliestExpiry(path), ...(envelope.expiry === undefined ? [] : [envelope.expiry])];
  return {
    valid: true, tool: 'notation', format, signer, role: 'signature',
    validUntil: new Date(Math.min(...expiries.map((time) => time.getTime()))), warnings,
  };
}

async function checkIntegrity(envelope: NotationEnvelope, chain: readonly ChainCertificate[], subject: NotationSubject): Promise<{ failure: FailureKind; reason: string } | undefined> {
  const key = chain[0]!.certificate.publicKey;
  const allowed = algorithmForKey(key);
  if (allowed === undefined) return { failure: 'unsupported', reason: `the signing key (${describeKey(key)}) is not one notation allows` };
  if (envelope.algorithm !== allowed) return { failure: 'bad-signature', reason: `the envelope's algorithm ${envelope.algorithm} is not the one its key allows (${allowed} for ${describeKey(key)})` };
  if (!(await envelope.verifySignature(key))) return { failure: 'bad-signature', reason: 'the signature does not match the signing certificate\'s key' };
  if (envelope.contentType !== notationPayloadType) return { failure: 'malformed', reason: `the signed content type ${JSON.stringify(envelope.contentType)} is not ${notationPayloadType}` };
  const target = parseNotationPayload(envelope.payload);
  if (!target.ok) return target;
  const match = matchTargetArtifact(target.value, subject);
  if (!match.ok) return match;
  const structure = checkChainStructure(chain, 'notation');
  return structure.ok ? undefined : structure;
}

import { createHash } from 'node:crypto';
import { parseDigest } from '../oci/digest.js';
import { type CosignTrust, findCosignSigner } from './cosign-signer.js';
import { dsseVerifies, parseDsseEnvelope } from './dsse.js';
import { parseJson } from './encodings.js';
import { parseInTotoStatement, statementNamesSubject } from './in-toto-statement.js';
import { type FailureKind, type SignatureVerdict, type SignedSubject, errorText, invalid, tooLarge } from './verdict.js';

/**
 * cosign's legacy attestations (the `.att` tag): each layer is a DSSE envelope over an in-toto statement. A valid
 * one is an attestation, never a signature: attestations alone do not make an image signed.
 */
export interface AttestationVerification {
  readonly envelope: Uint8Array;
  readonly layerDigest: string;
  readonly subject: SignedSubject;
  readonly trust: CosignTrust;
  readonly at?: Date;
}

export function verifyCosignAttestation(input: AttestationVerification): SignatureVerdict {
  const fail = (failure: FailureKind, reason: string): SignatureVerdict => invalid('cosign', 'cosign-attestation', failure, reason);
  try {
    const size = tooLarge('attestation envelope', input.envelope.length);
    if (size !== undefined) return fail('malformed', size);
    const digest = parseDigest(input.layerDigest);
    if (digest === undefined || createHash(digest.algorithm).update(input.envelope).digest('hex') !== digest.hex) return fail('malformed', `the envelope's bytes do not match the layer digest ${input.layerDigest}`);
    const envelope = parseDsseEnvelope(parseJson(input.envelope));
    if (!envelope.ok) return fail(envelope.failure, envelope.reason);
    const signer = findCosignSigner((key) => dsseVerifies(envelope.value, key), {}, input.trust, input.at ?? new Date());
    if (!signer.ok) return fail(signer.failure, signer.reason);
    const statement = parseInTotoStatement(envelope.value.payloadType, envelope.value.payload);
    if (!statement.ok) return fail(statement.failure, statement.reason);
    const named = statementNamesSubject(statement.value, input.subject);
    if (!named.ok) return fail(named.failure, named.reason);
    return { valid: true, tool: 'cosign', format: 'cosign-attestation', signer: signer.value.signer, role: 'attestation', predicateType: statement.value.predicateType, warnings: [] };
  } catch (error) {
    return fail('malformed', `the attestation could not be read: ${errorText(error)}`);
  }
}

import type { KeyObject } from 'node:crypto';
import { decodeBase64, isRecord } from './encodings.js';
import { verifyCosignSignature } from './public-keys.js';
import { type Checked, failed, passed } from './verdict.js';

/**
 * DSSE envelopes (Dead Simple Signing Envelope, used by sigstore bundles and cosign attestations). The signature
 * covers the pre-authentication encoding (PAE) of the payload type and the decoded payload, never the raw payload,
 * so a payload cannot be replayed under another type.
 */
export interface DsseEnvelope {
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signatures: readonly Buffer[];
}

/** More signatures than any signer writes; a longer list is refused rather than tried one by one. */
const maxSignatures = 16;

/** `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in bytes as ASCII decimal. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

export function parseDsseEnvelope(json: unknown): Checked<DsseEnvelope> {
  if (!isRecord(json)) return failed('malformed', 'the DSSE envelope is not a JSON object');
  const payload = decodeBase64(json.payload);
  if (typeof json.payloadType !== 'string' || payload === undefined) return failed('malformed', 'the DSSE envelope has no payloadType or no base64 payload');
  if (!Array.isArray(json.signatures) || json.signatures.length === 0) return failed('malformed', 'the DSSE envelope has no signatures');
  if (json.signatures.length > maxSignatures) return failed('malformed', `the DSSE envelope has ${json.signatures.length} signatures, more than ${maxSignatures}`);
  const signatures: Buffer[] = [];
  for (const entry of json.signatures) {
    const signature = isRecord(entry) ? decodeBase64(entry.sig) : undefined;
    if (signature === undefined || signature.length === 0) return failed('malformed', 'a DSSE signature is not base64');
    signatures.push(signature);
  }
  return passed({ payloadType: json.payloadType, payload, signatures });
}

/** True when any of the envelope's signatures verifies over the PAE with `key`. */
export function dsseVerifies(envelope: DsseEnvelope, key: KeyObject): boolean {
  const message = pae(envelope.payloadType, envelope.payload);
  return envelope.signatures.some((signature) => verifyCosignSignature(key, message, signature));
}

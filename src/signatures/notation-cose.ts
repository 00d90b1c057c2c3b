import { constants, type KeyObject, verify } from 'node:crypto';
import { type CborMap, CborTagged, type CborValue, decodeCbor, encodeArray, encodeBytes, encodeText } from './cbor.js';
import { algorithmHash, type NotationAlgorithm, type NotationEnvelope, notaryHeaders, understoodCriticalHeaders } from './notation-envelope.js';
import { type Checked, errorText, failed, passed, tooLarge } from './verdict.js';

/**
 * Reads a notation COSE envelope (`application/cose`): COSE_Sign1_Tagged (tag 18) whose protected header holds the
 * algorithm (label 1), crit (2), content type (3) and the notary headers by name, with times as CBOR tag 1, and
 * whose unprotected header holds the chain (x5chain, label 33). The signature covers the Sig_structure
 * `["Signature1", protected, h'', payload]` (RFC 9052 §4.4).
 */
const coseAlgorithms = new Map<number, NotationAlgorithm>([[-37, 'PS256'], [-38, 'PS384'], [-39, 'PS512'], [-7, 'ES256'], [-35, 'ES384'], [-36, 'ES512']]);
const labels = { alg: 1, crit: 2, contentType: 3, x5chain: 33 } as const;

export function readNotationCose(bytes: Uint8Array): Checked<NotationEnvelope> {
  const size = tooLarge('COSE envelope', bytes.length);
  if (size !== undefined) return failed('malformed', size);
  let envelope: CborValue;
  let headers: CborValue;
  try {
    envelope = decodeCbor(bytes);
    if (!(envelope instanceof CborTagged) || envelope.tag !== 18) return failed('malformed', 'the envelope is not a tagged COSE_Sign1 message');
    const parts = envelope.value;
    if (!Array.isArray(parts) || parts.length !== 4 || !(parts[0] instanceof Uint8Array) || !(parts[1] instanceof Map)
      || !(parts[2] instanceof Uint8Array) || !(parts[3] instanceof Uint8Array)) {
      return failed('malformed', 'the COSE_Sign1 message is not [protected, unprotected, payload, signature]');
    }
    headers = decodeCbor(parts[0]);
  } catch (error) {
    return failed('malformed', `the COSE envelope is not valid CBOR: ${errorText(error)}`);
  }
  const [protectedBytes, unprotected, payload, signature] = envelope.value as [Uint8Array, CborMap, Uint8Array, Uint8Array];
  if (!(headers instanceof Map)) return failed('malformed', 'the COSE protected header is not a map');
  const algorithm = coseAlgorithms.get(headers.get(labels.alg) as number);
  if (algorithm === undefined) return failed('bad-signature', `COSE algorithm ${String(headers.get(labels.alg))} is not one notation allows (PS256/384/512, ES256/384/512)`);
  const critical = checkCritical(headers);
  if (!critical.ok) return critical;
  const scheme = headers.get(notaryHeaders.signingScheme);
  const signingTime = optionalTime(headers.get(notaryHeaders.signingTime));
  const expiry = optionalTime(headers.get(notaryHeaders.expiry));
  if (typeof scheme !== 'string') return failed('malformed', `the protected header lacks ${notaryHeaders.signingScheme}`);
  if (signingTime === null || expiry === null) return failed('malformed', 'the signing time or expiry is not a CBOR epoch time');
  const chain = unprotected.get(labels.x5chain);
  const certificates = chain instanceof Uint8Array ? [chain] : Array.isArray(chain) ? chain : [];
  if (certificates.length === 0 || !certificates.every((certificate) => certificate instanceof Uint8Array)) return failed('malformed', 'the COSE header has no x5chain of DER certificates');
  const agent = unprotected.get(notaryHeaders.signingAgent);
  const signed = encodeArray([encodeText('Signature1'), encodeBytes(protectedBytes), encodeBytes(new Uint8Array(0)), encodeBytes(payload)]);
  return passed({
    format: 'notation-cose',
    algorithm,
    contentType: headers.get(labels.contentType),
    signingScheme: scheme,
    signingTime,
    expiry,
    certificates: certificates as Uint8Array[],
    payload,
    hasTimestamp: unprotected.has(notaryHeaders.timestampSignature),
    signingAgent: typeof agent === 'string' ? agent : undefined,
    verifySignature: async (key: KeyObject) => verifyCose(key, algorithm, signed, signature),
  });
}

function checkCritical(headers: CborMap): Checked<void> {
  const crit = headers.get(labels.crit);
  if (!Array.isArray(crit)) return failed('malformed', 'the protected header has no crit list');
  if (!crit.includes(notaryHeaders.signingScheme)) return failed('malformed', `the crit header does not list ${notaryHeaders.signingScheme}`);
  // Of COSE's own labels this reader processes the algorithm and content type; other labels fail closed.
  const unknown = crit.find((name) => !(name === labels.alg || name === labels.contentType || (typeof name === 'string' && understoodCriticalHeaders.has(name))));
  if (unknown !== undefined) return failed('unsupported', `the envelope marks ${String(unknown)} critical, which Berth does not process`);
  if (headers.has(notaryHeaders.expiry) && !crit.includes(notaryHeaders.expiry)) return failed('malformed', `${notaryHeaders.expiry} is present but not marked critical`);
  return passed(undefined);
}

/** undefined when absent, null when present but not tag 1 over a number. */
function optionalTime(value: CborValue): Date | undefined | null {
  if (value === undefined) return undefined;
  if (!(value instanceof CborTagged) || value.tag !== 1 || typeof value.value !== 'number' || !Number.isFinite(value.value)) return null;
  return new Date(value.value * 1000);
}

function verifyCose(key: KeyObject, algorithm: NotationAlgorithm, signed: Uint8Array, signature: Uint8Array): boolean {
  const hash = algorithmHash(algorithm);
  try {
    return algorithm.startsWith('ES')
      ? verify(hash, signed, { key, dsaEncoding: 'ieee-p1363' }, signature)
      : verify(hash, signed, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
  } catch {
    return false;
  }
}

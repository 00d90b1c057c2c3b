import type { KeyObject } from 'node:crypto';
import { flattenedVerify } from 'jose';
import { decodeBase64, decodeBase64Url, isRecord, parseJson } from './encodings.js';
import { type NotationAlgorithm, type NotationEnvelope, notaryHeaders, understoodCriticalHeaders } from './notation-envelope.js';
import { type Checked, failed, passed, tooLarge } from './verdict.js';

/**
 * Reads a notation JWS envelope (`application/jose+json`): flattened JSON serialization, the notary headers in the
 * protected header, the certificate chain (`x5c`, base64 DER, leaf first) in the unprotected one. The signature is
 * checked with jose, limited to the one algorithm the leaf key allows and to the critical headers Berth knows.
 */
const algorithms: ReadonlySet<string> = new Set(['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']);

export function readNotationJws(bytes: Uint8Array): Checked<NotationEnvelope> {
  const size = tooLarge('JWS envelope', bytes.length);
  if (size !== undefined) return failed('malformed', size);
  const jws = parseJson(bytes);
  if (!isRecord(jws)) return failed('malformed', 'the JWS envelope is not a JSON object');
  if ('signatures' in jws) return failed('malformed', 'the JWS envelope uses the general serialization; notation writes the flattened one');
  const { protected: protectedText, payload: payloadText, signature, header = {} } = jws;
  const protectedBytes = decodeBase64Url(protectedText);
  const payload = decodeBase64Url(payloadText);
  if (protectedBytes === undefined || payload === undefined || decodeBase64Url(signature) === undefined) {
    return failed('malformed', 'the JWS protected header, payload or signature is not base64url');
  }
  const headers = parseJson(protectedBytes);
  if (!isRecord(headers) || !isRecord(header)) return failed('malformed', 'the JWS headers are not JSON objects');
  const alg = headers.alg;
  if (typeof alg !== 'string' || !algorithms.has(alg)) return failed('bad-signature', `JWS algorithm ${JSON.stringify(alg)} is not one notation allows (PS256/384/512, ES256/384/512)`);
  const critical = checkCritical(headers);
  if (!critical.ok) return critical;
  const scheme = headers[notaryHeaders.signingScheme];
  const signingTime = optionalTime(headers[notaryHeaders.signingTime]);
  const expiry = optionalTime(headers[notaryHeaders.expiry]);
  if (typeof scheme !== 'string') return failed('malformed', `the protected header lacks ${notaryHeaders.signingScheme}`);
  if (signingTime === null || expiry === null) return failed('malformed', 'the signing time or expiry is not an RFC 3339 time');
  const x5c = header.x5c;
  const certificates = Array.isArray(x5c) ? x5c.map(decodeBase64) : [];
  if (certificates.length === 0 || certificates.some((certificate) => certificate === undefined)) return failed('malformed', 'the JWS header has no x5c certificate chain of base64 DER');
  const agent = header[notaryHeaders.signingAgent];
  return passed({
    format: 'notation-jws',
    algorithm: alg as NotationAlgorithm,
    contentType: headers.cty,
    signingScheme: scheme,
    signingTime,
    expiry,
    certificates: certificates as Buffer[],
    payload,
    hasTimestamp: header[notaryHeaders.timestampSignature] !== undefined,
    signingAgent: typeof agent === 'string' ? agent : undefined,
    verifySignature: (key: KeyObject) => verifyJws(jws, key, alg as NotationAlgorithm),
  });
}

function checkCritical(headers: Record<string, unknown>): Checked<void> {
  const crit = headers.crit;
  if (!Array.isArray(crit) || !crit.every((name) => typeof name === 'string')) return failed('malformed', 'the protected header has no crit list');
  if (!crit.includes(notaryHeaders.signingScheme)) return failed('malformed', `the crit header does not list ${notaryHeaders.signingScheme}`);
  const unknown = crit.find((name) => !understoodCriticalHeaders.has(name));
  if (unknown !== undefined) return failed('unsupported', `the envelope marks ${unknown} critical, which Berth does not process`);
  if (headers[notaryHeaders.expiry] !== undefined && !crit.includes(notaryHeaders.expiry)) return failed('malformed', `${notaryHeaders.expiry} is present but not marked critical`);
  return passed(undefined);
}

/** undefined when absent, null when present but not a time. */
function optionalTime(value: unknown): Date | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) return null;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time;
}

async function verifyJws(jws: Record<string, unknown>, key: KeyObject, alg: NotationAlgorithm): Promise<boolean> {
  const crit = Object.fromEntries([...understoodCriticalHeaders].map((name) => [name, true]));
  try {
    await flattenedVerify(jws as unknown as Parameters<typeof flattenedVerify>[0], key, { algorithms: [alg], crit });
    return true;
  } catch {
    return false;
  }
}

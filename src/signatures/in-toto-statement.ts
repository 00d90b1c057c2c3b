import { parseDigest } from '../oci/digest.js';
import { isRecord, parseJson } from './encodings.js';
import { type Checked, failed, passed, type SignedSubject } from './verdict.js';

/**
 * The in-toto statement inside a DSSE envelope: what it is about (subjects by digest) and what it says
 * (predicateType). cosign ≥2.6 signs images with the predicate type below; any other is an attestation.
 */
export const inTotoPayloadType = 'application/vnd.in-toto+json';
export const cosignSignPredicate = 'https://sigstore.dev/cosign/sign/v1';
const statementTypes = new Set(['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1']);

export interface InTotoStatement {
  readonly predicateType: string;
  readonly subjects: readonly { readonly digest: Readonly<Record<string, unknown>> }[];
}

export function parseInTotoStatement(payloadType: string, payload: Uint8Array): Checked<InTotoStatement> {
  if (payloadType !== inTotoPayloadType) return failed('malformed', `the envelope's payload type ${payloadType} is not ${inTotoPayloadType}`);
  const statement = parseJson(payload);
  if (!isRecord(statement) || !statementTypes.has(statement._type as string)) return failed('malformed', 'the payload is not an in-toto statement');
  if (typeof statement.predicateType !== 'string') return failed('malformed', 'the in-toto statement has no predicateType');
  const subjects = Array.isArray(statement.subject) ? statement.subject : [];
  if (subjects.length === 0 || !subjects.every((entry) => isRecord(entry) && isRecord(entry.digest))) return failed('malformed', 'the in-toto statement has no subject digests');
  return passed({ predicateType: statement.predicateType, subjects: subjects as InTotoStatement['subjects'] });
}

/** The statement must be about the pulled manifest: one of its subjects carries exactly its digest. */
export function statementNamesSubject(statement: InTotoStatement, subject: SignedSubject): Checked<void> {
  const wanted = parseDigest(subject.digest);
  if (wanted !== undefined && statement.subjects.some((entry) => entry.digest[wanted.algorithm] === wanted.hex)) return passed(undefined);
  const named = statement.subjects.map((entry) => Object.entries(entry.digest).map(([algorithm, hex]) => `${algorithm}:${String(hex)}`).join(' ')).join(', ');
  return failed('wrong-subject', `statement names ${named.slice(0, 200)}, not the pulled digest ${subject.digest}`);
}

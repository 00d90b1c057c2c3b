import { isRecord, parseJson } from './encodings.js';
import { type Checked, failed, passed } from './verdict.js';

/** The descriptor a notation signature signs: `{"targetArtifact": {mediaType, digest, size, …}}`. */
export interface TargetArtifact {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** The manifest being pulled, whole: notation binds mediaType and size as well as the digest. */
export interface NotationSubject {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export function parseNotationPayload(bytes: Uint8Array): Checked<TargetArtifact> {
  const payload = parseJson(bytes);
  const target = isRecord(payload) ? payload.targetArtifact : undefined;
  if (!isRecord(target)) return failed('malformed', 'the signed payload is not a notation payload with a targetArtifact');
  const { mediaType, digest, size } = target;
  if (typeof mediaType !== 'string' || typeof digest !== 'string' || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    return failed('malformed', 'the signed targetArtifact lacks a mediaType, digest or size');
  }
  return passed({ mediaType, digest, size });
}

/** The signed descriptor must be exactly the manifest pulled: a signature copied onto another digest fails here. */
export function matchTargetArtifact(target: TargetArtifact, subject: NotationSubject): Checked<void> {
  if (target.digest !== subject.digest) return failed('wrong-subject', `payload names ${target.digest}, not the pulled digest ${subject.digest}`);
  if (target.mediaType !== subject.mediaType) return failed('wrong-subject', `payload names media type ${target.mediaType}, not the pulled manifest's ${subject.mediaType}`);
  if (target.size !== subject.size) return failed('wrong-subject', `payload names size ${target.size}, not the pulled manifest's ${subject.size} bytes`);
  return passed(undefined);
}

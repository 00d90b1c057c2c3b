import { createHash, type Hash } from 'node:crypto';

/**
 * Digests as the OCI image spec defines them (https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests):
 * `algorithm:encoded`. Berth verifies the registered algorithms sha256 and sha512, whose encodings are fixed-length
 * lowercase hex.
 */
export type DigestAlgorithm = 'sha256' | 'sha512';

const hexLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const digestPattern = /^(sha256|sha512):([a-f0-9]+)$/;
/** The grammar of any digest, registered algorithm or not, used to tell "unsupported" from "malformed". */
const anyDigestPattern = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  readonly value: string;
}

/** Parses a digest string; returns undefined when it is malformed or uses an algorithm Berth does not verify. */
export function parseDigest(value: string): ParsedDigest | undefined {
  const match = digestPattern.exec(value);
  if (!match) return undefined;
  const algorithm = match[1] as DigestAlgorithm;
  const hex = match[2]!;
  if (hex.length !== hexLength[algorithm]) return undefined;
  return { algorithm, hex, value };
}

export function isDigest(value: string): boolean {
  return parseDigest(value) !== undefined;
}

/** True for strings shaped like a digest at all (used to decide if a manifest reference is a digest or a tag). */
export function looksLikeDigest(value: string): boolean {
  return value.includes(':') && anyDigestPattern.test(value);
}

export function createHasher(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

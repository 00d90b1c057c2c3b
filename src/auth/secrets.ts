import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefixes that make a leaked secret recognisable to secret scanners and to Berth itself. */
export const robotSecretPrefix = 'berth_rbt_';
export const personalTokenPrefix = 'berth_pat_';

/** 256 random bits, URL-safe, after a prefix that says what kind of secret it is. */
export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/**
 * Robot secrets and personal tokens are stored as their sha256. They are random 256-bit strings, so a slow password
 * hash would add nothing but latency to every login; a stolen database still does not reveal them.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two hex hashes without leaking through timing where they differ. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Algorithm, Options } from '@node-rs/argon2';

/**
 * Password hashing with argon2id at OWASP's recommended minimum (19 MiB, two passes, one lane): about 20 ms per
 * hash here, cheap for a login, costly for someone guessing offline. The parameters are stored in each hash, so
 * they can be raised later without invalidating existing passwords.
 */
const options: Options = {
  // Algorithm.Argon2id; the enum is a const enum, which this project's module settings cannot import.
  algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1,
};

type Argon2 = typeof import('@node-rs/argon2');
let argon2: Argon2 | undefined;
let verifications = 0;
let dummyHash: Promise<string> | undefined;
/** The native addon is loaded at the first password check, not at start-up: a registry without users never needs it. */
const load = (): Argon2 => (argon2 ??= createRequire(import.meta.url)('@node-rs/argon2') as Argon2);

export function hashPassword(password: string): Promise<string> {
  return load().hash(password, options);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  verifications += 1;
  try {
    return await load().verify(passwordHash, password);
  } catch {
    // A hash that is not argon2 (corrupted or from elsewhere) never matches.
    return false;
  }
}

/**
 * Spends what checking a password costs, against a hash of a random password made once (with the same parameters as
 * real hashes), and answers false. A login with no local hash to check (an unknown user, one without a password, or
 * one the directory checks) calls this, so that the time a failed login takes does not tell which usernames exist.
 */
export async function verifyNoPassword(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url')).catch((error: unknown) => {
    dummyHash = undefined;
    throw error;
  });
  await verifyPassword(await dummyHash, password);
  return false;
}

/** How many argon2 verifications this process has run: every login path that takes a password should add one. */
export function passwordVerifications(): number {
  return verifications;
}

/** The rules a new local password must meet; undefined when it does, else what to change. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 8) return 'a password needs at least 8 characters';
  if (password.length > 256) return 'a password may have at most 256 characters';
  if (/[\u0000-\u001f\u007f]/.test(password)) return 'a password may not contain control characters';
  return undefined;
}

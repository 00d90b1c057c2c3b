/**
 * Deterministic choices for load generators: the `index`-th choice of a `stream` under a `seed` is the same on every
 * run, whichever worker makes it and in whatever order, so two registries driven for the same time are asked for the
 * same items in the same order (up to where the faster one goes on alone).
 */

/** MurmurHash3's 32-bit finaliser: every input bit flips about half of the output bits. */
function mix(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform 32-bit value for (seed, stream, index). */
export function seededUint32(seed: number, stream: number, index: number): number {
  return mix(mix(mix(seed) ^ stream) ^ index);
}

/** A whole number in [0, size) for (seed, stream, index); the modulo bias is negligible for the small sizes used. */
export function seededChoice(size: number, seed: number, stream: number, index: number): number {
  if (!Number.isInteger(size) || size < 1) throw new Error(`seededChoice: size ${size} is not a whole number of 1 or more`);
  return seededUint32(seed, stream, index) % size;
}

import { RegistryError } from '../errors/registry-error.js';
import { parseDigest, type ParsedDigest } from '../oci/digest.js';
import { isValidName, isValidTag, maxNameLength } from '../oci/names.js';

/** Throws NAME_INVALID unless `name` is a repository name the spec allows. */
export function assertName(name: string): void {
  if (!isValidName(name)) {
    const why = name.length > maxNameLength ? `longer than ${maxNameLength} characters` : 'not a valid repository name';
    throw new RegistryError('NAME_INVALID', undefined, { name: name.slice(0, 300), reason: why });
  }
}

export function assertTag(tag: string): void {
  if (!isValidTag(tag)) throw new RegistryError('TAG_INVALID', undefined, { tag: tag.slice(0, 300) });
}

/** Parses a digest from a request, throwing DIGEST_INVALID with what was wrong. */
export function requireDigest(value: string | undefined, what = 'digest'): ParsedDigest {
  if (value === undefined || value === '') {
    throw new RegistryError('DIGEST_INVALID', `${what} is required: send it as sha256:<64 lowercase hex> (or sha512)`);
  }
  const parsed = parseDigest(value);
  if (!parsed) {
    throw new RegistryError('DIGEST_INVALID',
      `${what} "${value.slice(0, 200)}" is malformed or of an unsupported algorithm: use sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`);
  }
  return parsed;
}

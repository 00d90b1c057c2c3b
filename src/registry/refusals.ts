import { RegistryError } from '../errors/registry-error.js';

/** 405 for a delete while deletes are off, naming the methods still allowed ("GET, HEAD") as RFC 9110 asks. */
export function deletesDisabled(allow: string): RegistryError {
  return new RegistryError('UNSUPPORTED', 'deletes are disabled on this registry: an administrator can set delete.enabled to true',
    undefined, { allow: allow.split(/,\s*/) });
}

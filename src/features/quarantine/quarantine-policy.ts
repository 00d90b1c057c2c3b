import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { PolicyStore, Quarantine } from '../../metadata/policy-store.js';
import { VersionedCache } from '../../metadata/versioned-cache.js';
import type { Refusal, RegistryPolicy } from '../../registry/registry-policy.js';

/**
 * Refuses pulls of quarantined digests, by tag or by digest, and of blobs that only quarantined images use. The
 * quarantines of a repository are read once per change version (a quarantine or release anywhere in the cluster
 * moves it), so a pull of a repository without quarantines costs a map lookup.
 */
export function quarantinePolicy(metadata: MetadataStore): RegistryPolicy {
  const store: PolicyStore = metadata.policies();
  const cache = new VersionedCache<Map<string, Quarantine>>(10_000, (entries) => 1 + entries.size, 'quarantines');
  const quarantinesIn = (repository: string, version = metadata.changeVersion()): Map<string, Quarantine> | Promise<Map<string, Quarantine>> =>
    cache.through(repository, version, () => store.quarantinesIn(repository));
  return {
    name: 'quarantine',
    async checkPull(_context, pull) {
      const quarantine = (await quarantinesIn(pull.repository, pull.version)).get(pull.digest);
      return quarantine && refusal(quarantine, pull.digest);
    },
    async checkBlobPull(_context, repository, digest) {
      const quarantines = await quarantinesIn(repository);
      if (quarantines.size === 0) return undefined;
      // A blob is refused only when every image of the repository that uses it is quarantined: a shared base layer
      // stays pullable for the images that are not.
      const users = await store.manifestsUsing(repository, digest);
      if (users.length === 0 || users.some((manifest) => !quarantines.has(manifest))) return undefined;
      return refusal(quarantines.get(users[0]!)!, digest);
    },
  };
}

function refusal(quarantine: Quarantine, digest: string): Refusal {
  const via = quarantine.via ? ` (with the index ${quarantine.via})` : '';
  return {
    rule: 'quarantine',
    message: `${quarantine.repository}@${digest} is quarantined${via}: ${quarantine.reason}. `
      + 'Pull another version, or ask a maintainer of the project to release it (berth release) once it is safe',
    detail: { reason: quarantine.reason, quarantinedBy: quarantine.createdBy, quarantinedAt: new Date(quarantine.createdAt).toISOString() },
  };
}

import { mountBlob } from '../client/blob-mount.js';
import { runLoad } from '../client/load.js';
import type { RegistryClient } from '../client/registry.js';
import { artifactManifest, artifactTags, repositoryName, type ScaleBlobs, type ScaleShape } from './scale-dataset.js';

export interface SeedResult {
  readonly seconds: number;
  /** Manifest PUTs: one per tag (an artifact's first tag pushes it, the others tag it again). */
  readonly manifestPuts: number;
  /** Every request: blob uploads, mounts and manifest PUTs. */
  readonly requests: number;
}

/**
 * Seeds the dataset through the distribution API only, as clients would: the shared blobs uploaded into the first
 * repository, then `inFlight` repositories at a time, each mounting those blobs and PUTting each artifact's manifest
 * once per tag (`?tag=` on a PUT by digest is newer than Distribution 2.8, so both get the same separate PUTs).
 */
export async function seedDataset(options: {
  readonly client: RegistryClient;
  readonly shape: ScaleShape;
  readonly blobs: ScaleBlobs;
  readonly inFlight: number;
  readonly progress: (message: string) => void;
}): Promise<SeedResult> {
  const { client, shape, blobs, inFlight, progress } = options;
  const start = performance.now();
  const source = repositoryName(0);
  const shared = [...blobs.configs, blobs.layer];
  for (const blob of shared) await client.pushSmallBlob(source, blob.data, blob.descriptor.digest);

  // A progress line every tenth of the way, when seeding is long enough to need one.
  const step = shape.repositories >= 200 ? Math.ceil(shape.repositories / 10) : Infinity;
  let done = 0;
  await runLoad({
    workers: inFlight,
    count: shape.repositories,
    operation: async (repository) => {
      const name = repositoryName(repository);
      if (repository !== 0) for (const blob of shared) await mountBlob(client, name, blob.descriptor.digest, source);
      for (let artifact = 0; artifact < shape.artifactsPerRepository; artifact++) {
        const manifest = artifactManifest(blobs, repository, artifact);
        for (const tag of artifactTags(artifact)) await client.putManifest(name, tag, manifest);
      }
      done++;
      if (done % step === 0 && done < shape.repositories) {
        const seconds = (performance.now() - start) / 1000;
        progress(`seeded ${done.toLocaleString('en-US')} of ${shape.repositories.toLocaleString('en-US')} repositories in ${seconds.toFixed(0)} s`);
      }
    },
  });
  const manifestPuts = shape.repositories * shape.artifactsPerRepository * shape.tagsPerArtifact;
  return {
    seconds: (performance.now() - start) / 1000,
    manifestPuts,
    requests: 2 * shared.length + (shape.repositories - 1) * shared.length + manifestPuts,
  };
}

import type { Logger } from 'pino';
import type { InsightStore } from '../../metadata/insight-store.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import { indexMediaTypes } from '../../oci/media-types.js';
import { parseManifest } from '../../oci/manifest.js';
import type { ArtifactFactsCollector } from '../../registry/artifact-facts-collector.js';
import type { Feature } from '../feature.js';
import type { JobContext } from '../../jobs/job-definition.js';

const kind = 'insight.backfill';
const batch = 200;

/**
 * Facts for manifests pushed before Berth kept them (migration 0007): one job for the cluster, queued at start-up
 * when any manifest lacks them, which reads each config once and stores what a push now stores. Images go first, so
 * that indexes, in a second pass, roll up their children's facts. Until it finishes, those manifests are found by
 * name and tag but not by label, platform or created time; the job's progress shows in /api/v1/jobs.
 */
export function artifactFactsBackfill(metadata: MetadataStore, collector: ArtifactFactsCollector, log: Logger): Feature {
  const insight = (): InsightStore => metadata.insight();
  const run = async (_job: unknown, context: JobContext): Promise<void> => {
    let done = 0;
    for (const pass of ['images', 'indexes'] as const) {
      let after: string | undefined;
      for (;;) {
        if (context.signal.aborted) return;
        const manifests = await insight().manifestsWithoutFacts(after, batch);
        for (const manifest of manifests) {
          if ((pass === 'images') === indexMediaTypes.has(manifest.mediaType)) continue;
          try {
            const parsed = parseManifest(manifest.content, manifest.mediaType);
            await insight().saveFacts(manifest.digest, await collector.collect(manifest.digest, manifest.content.length, parsed), parsed.annotations);
          } catch (error) {
            // A manifest Berth accepted once but cannot read now keeps no facts; it is still served as it is.
            log.warn({ digest: manifest.digest, err: error }, 'could not learn the facts of a stored manifest');
          }
          done++;
        }
        await context.progress({ done, note: `${pass}: ${done} manifests` });
        if (manifests.length < batch) break;
        after = manifests[manifests.length - 1]!.digest;
      }
    }
    if (done > 0) log.info({ manifests: done }, 'stored the facts of manifests pushed before this version');
  };
  return {
    name: 'artifact-facts',
    jobs: [{ kind, run }],
    async start() {
      if ((await insight().manifestsWithoutFacts(undefined, 1)).length === 0) return;
      const now = Date.now();
      await metadata.enqueueJob({ kind, payload: {}, uniqueKey: kind, runAfter: now, maxAttempts: 5, now });
    },
  };
}

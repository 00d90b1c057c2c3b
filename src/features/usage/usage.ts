import type { OutboxConsumer } from '../../events/outbox-consumer.js';
import type { RegistryEvent } from '../../events/registry-event.js';
import type { InsightStore } from '../../metadata/insight-store.js';
import type { Feature } from '../feature.js';

/** The outbox consumer's name: its cursor's key. */
export const usageConsumer = 'usage';

/**
 * Pull figures per digest and per tag (pulls by tag and by digest alike), kept from the outbox's `artifact.pulled`
 * events: the pull path only gathers events, as it did before, and the figures are written here a batch at a time,
 * each batch counted once however often the outbox hands it over. A deleted manifest or tag takes its figures with it.
 */
export function usage(insight: () => InsightStore): Feature {
  const consumer: OutboxConsumer = {
    name: usageConsumer,
    types: new Set(['artifact.pulled', 'artifact.deleted', 'tag.deleted']),
    async handle(events) {
      let pulls: RegistryEvent[] = [];
      // Figures are forgotten in order with the pulls around them: pulls before a delete are counted first.
      const flush = async () => {
        await insight().recordPulls(pulls.map((event) => ({ id: event.id, repository: event.repository, digest: event.digest, tag: event.tag, at: event.at })));
        pulls = [];
      };
      for (const event of events) {
        if (event.type === 'artifact.pulled') {
          pulls.push(event);
          continue;
        }
        await flush();
        if (event.type === 'artifact.deleted') await insight().forgetPulls(event.repository, { digest: event.digest }, event.id);
        else if (event.tag !== undefined) await insight().forgetPulls(event.repository, { tag: event.tag }, event.id);
      }
      await flush();
    },
  };
  return { name: 'usage', consumers: [consumer] };
}

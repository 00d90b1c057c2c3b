import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Gauges prom-client names like counters, which `promtool check metrics` refuses ("non-counter metrics should not
 * have _total suffix"). Nothing is lost: the per-type gauges beside them (`nodejs_active_handles{type}` and the
 * like) sum to the same figures.
 */
const misnamedGauges = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let registry: Registry | undefined;

/**
 * prom-client's process and Node.js metrics (CPU, memory, file descriptors, event loop delay, garbage collection),
 * in one registry for the whole process, rendered after each Berth's own. They describe the process, whatever
 * number of Berths it holds, and collecting them installs observers (a GC PerformanceObserver, an event-loop delay
 * monitor) that are never removed: once per process, not once per Berth. Never prom-client's global registry.
 */
export function processMetrics(): Registry {
  if (registry === undefined) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
    for (const name of misnamedGauges) registry.removeSingleMetric(name);
  }
  return registry;
}

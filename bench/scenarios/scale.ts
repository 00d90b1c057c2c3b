import { sha256 } from '../client/content.js';
import { runLoad } from '../client/load.js';
import { cpuSeconds } from '../servers/proc-stats.js';
import type { RegistryClient } from '../client/registry.js';
import { chooserOf, scaleCalls, type CallInput, type CheckInput, type ScaleCall } from './scale-calls.js';
import { artifactManifest, describeShape, repositoryName, scaleBlobs, scaleShape, type ScaleShape } from './scale-dataset.js';
import { seedDataset } from './scale-seed.js';
import type { Scenario, ScenarioContext } from './scenario.js';

/** The section of the table; scale-targets.ts finds the rows by their `scale.` ids. */
export const scaleGroup = (shape: ScaleShape): string => `Scale: Harbor "small" dataset × ${shape.factor}`;
const resources = 'Server resources';
/** The seed of the random choices, plus the round: each round asks for other items, the same for both registries. */
const seed = 0x5ca1e;
/** Checked answers per call before its timed load. */
const checkedAnswers = 5;
/** The untimed warm-up before each timed load stops after this long, should it not have sent its count. */
const warmUpSeconds = 2;
/** A request that receives nothing for this long fails its call, so a call far off its target cannot stall the run. */
const requestTimeoutMs = 60_000;

/**
 * A registry shaped like Harbor's performance dataset "small" (scale-dataset.ts), seeded through /v2/ and timed:
 * seeding, then each call of scale-calls.ts from many clients for a fixed time, at random items of the dataset.
 */
export const scale: Scenario = {
  id: 'scale',
  title: 'Harbor "small"-shaped registry',

  async run(context: ScenarioContext) {
    const { factor, seedInFlight, clients, seconds } = context.profile.scale;
    const shape = scaleShape(factor);
    const group = scaleGroup(shape);
    const client = context.client(Math.max(seedInFlight, clients), { idleTimeoutMs: requestTimeoutMs });
    const blobs = scaleBlobs();
    context.progress(`seeding ${describeShape(shape)}, ${seedInFlight} repositories at a time`);
    context.syncDisk();

    const seeding = await context.phase('seed the dataset', () => seedDataset({
      client, shape, blobs, inFlight: seedInFlight, progress: context.progress,
    }));
    const seeded = seeding.result;
    const puts = seeded.manifestPuts.toLocaleString('en-US');
    context.metric({
      id: 'scale.seed.seconds', group, label: `seeding: ${puts} manifest PUTs and their blobs, time`, unit: 's', better: 'lower',
    }, seeded.seconds);
    context.metric({
      id: 'scale.seed.rate', group, label: `seeding: pushes (manifest PUTs, one per tag), ${seedInFlight} repositories in flight`,
      unit: 'PUT/s', better: 'higher',
    }, seeded.manifestPuts / seeded.seconds);
    context.metric({
      id: 'cpu.scale.seed', group: resources, label: 'server CPU per 1,000 manifest PUTs while seeding', unit: 'CPU-s', better: 'lower',
    }, seeding.stats.serverCpuSeconds / (seeded.manifestPuts / 1000));
    context.progress(`seeded in ${seeded.seconds.toFixed(1)} s: ${(seeded.manifestPuts / seeded.seconds).toFixed(0)} manifest PUT/s, `
      + `${(seeded.requests / seeded.seconds).toFixed(0)} req/s`);
    let peakRss = seeding.stats.peakRssBytes;
    await checkCatalog(client, shape);
    // Berth scans every image pushed, in the background: the calls are timed once the server is quiet, as a registry
    // is between bursts, and how long its background work went on after the last push is reported on its own.
    const settled = await settle(context.server.pid);
    context.metric({
      id: 'scale.settle.seconds', group, label: 'background work after seeding (Berth: scanning the images), until the server is idle',
      unit: 's', better: 'lower',
    }, settled);
    context.progress(`server idle ${settled.toFixed(1)} s after seeding`);
    context.syncDisk();

    const digestOf = (repository: number, artifact: number): string => sha256(artifactManifest(blobs, repository, artifact));
    const check: CheckInput = { shape, digestOf };
    // A call that fails is reported and the others still run: one broken call should not hide the rest.
    const failures: string[] = [];
    for (const [stream, call] of scaleCalls.entries()) {
      if (call.berthOnly && context.server.name !== 'berth') continue;
      // The same seed for both registries: the same requests in the same order. Another per round.
      const input: CallInput = { shape, choose: chooserOf(seed + context.round, stream) };
      const send = async (index: number): Promise<void> => {
        const { path, headers } = call.request(input, index);
        await client.http.request({ method: 'GET', target: path, headers, expect: 200 });
      };
      try {
        await checkAnswers(client, call, input, check);
        await runLoad({ workers: clients, count: clients * 10, seconds: warmUpSeconds, operation: send });
        const { result, stats } = await context.phase(`${call.label} ×${clients} clients`, () => runLoad({
          workers: clients, seconds, operation: send,
        }));
        peakRss = Math.max(peakRss, stats.peakRssBytes);
        const base = `${call.label}, ${clients} clients`;
        const id = `scale.${call.key}`;
        context.metric({ id: `${id}.rate`, group, label: `${base}: requests`, unit: 'req/s', better: 'higher' }, result.perSecond);
        for (const p of [50, 90, 99]) {
          context.metric({ id: `${id}.p${p}`, group, label: `${base}: p${p}`, unit: 'ms', better: 'lower' }, result.latency.percentile(p));
        }
        const { p50, p90, p99 } = result.latency.summary();
        context.progress(`${call.label}: ${result.perSecond.toFixed(0)} req/s, p50 ${p50.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, `
          + `p99 ${p99.toFixed(1)} ms`);
      } catch (error) {
        const message = `${call.label}: ${error instanceof Error ? error.message : String(error)}`;
        context.progress(`FAILED ${message}`);
        failures.push(message);
        if (!context.server.alive()) break;
      }
    }
    context.metric({
      id: 'rss.scale', group: resources, label: 'peak RSS: scale seeding and reads', unit: 'MiB', better: 'lower',
    }, peakRss / 2 ** 20);
    if (failures.length > 0) throw new Error(`${failures.length} call${failures.length === 1 ? '' : 's'} failed; ${failures.join('; ')}`);
  },
};

/** The whole catalog, untimed, lists exactly the seeded repositories: nothing was lost or added on the way. */
async function checkCatalog(client: RegistryClient, shape: ScaleShape): Promise<void> {
  const { items } = await client.listAll('/v2/_catalog?n=1000', 'repositories');
  const expected = Array.from({ length: shape.repositories }, (_, index) => repositoryName(index));
  const differing = expected.findIndex((name, index) => items[index] !== name);
  if (items.length !== expected.length || differing >= 0) {
    const where = differing >= 0
      ? `${String(items[differing])} where ${expected[differing]} was expected`
      : `${String(items[expected.length])} after them`;
    throw new Error(`_catalog lists ${items.length} repositories, expected the ${expected.length} seeded: ${where}`);
  }
}

/** The first few answers of a call, parsed and checked against what was seeded. */
async function checkAnswers(client: RegistryClient, call: ScaleCall, input: CallInput, check: CheckInput): Promise<void> {
  for (let index = 0; index < checkedAnswers; index++) {
    const { path, headers } = call.request(input, index);
    const response = await client.http.request({ method: 'GET', target: path, headers, expect: 200 });
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new Error(`GET ${path} answered a body that is not JSON: ${response.body.toString('utf8', 0, 200)}`);
    }
    call.check(body, path, check);
  }
}

/** Seconds until the server uses under 5% of a core over a whole second (at most ten minutes). */
export async function settle(pid: number): Promise<number> {
  const started = performance.now();
  for (let before = cpuSeconds(pid); performance.now() - started < 600_000;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = cpuSeconds(pid);
    if (now - before < 0.05) break;
    before = now;
  }
  return (performance.now() - started) / 1000;
}

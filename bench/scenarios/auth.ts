import { KiB, formatSize } from '../client/content.js';
import { basicAuthorization } from '../client/http.js';
import { pushSmallImage, smallImage } from '../client/images.js';
import { runLoad, type LoadResult } from '../client/load.js';
import type { RegistryClient } from '../client/registry.js';
import type { PhaseStats, Scenario, ScenarioContext } from './scenario.js';
import { smallImageRepository } from './small-images.js';
import { warmUp } from './warm-up.js';

/*
 * The auth session: both registries with access control on (see Session.auth), driven by the same client code as the
 * open scenarios, which sends the Authorization header with every request. Berth: BERTH_ADMIN_PASSWORD; Distribution:
 * its htpasswd access controller (bcrypt). Distribution has no token server of its own, so the bearer-token rows
 * compare Berth with a token against Distribution with Basic, and say so.
 */

const group = 'Access control on (auth session)';
const resources = 'Server resources';
const repository = 'bench/auth-manifests';
const tag = 'latest';
/** The untimed warm-up before each timed GET phase stops after this long, should it not have sent its count. */
const warmUpSeconds = 3;

/** The Basic Authorization header of the registry's one user; fails when it was started without access control. */
function basicHeader(context: ScenarioContext): string {
  const credentials = context.server.credentials;
  if (!credentials) throw new Error(`${context.server.name} was started without access control: the auth scenarios need it on`);
  context.note('Access control (auth session)', context.server.access ?? 'on');
  return basicAuthorization(credentials.username, credentials.password);
}

/** Checks that a request without credentials is refused, so that nothing below measures an open registry. */
async function checkRefusesAnonymous(client: RegistryClient, path: string): Promise<void> {
  await client.withAuthorization(undefined).http.request({ method: 'GET', target: path, expect: 401 });
}

/**
 * Manifest GET by tag from many clients for a fixed time, as the manifests scenario runs it, with HTTP Basic
 * credentials on every request; then, on Berth, with a bearer token each client fetched once from /auth/token.
 */
export const authManifestRead: Scenario = {
  id: 'auth-manifests',
  title: 'manifest GET with auth',

  async run(context: ScenarioContext) {
    const { clients, seconds } = context.profile.auth;
    const client = context.client(clients, { authorization: basicHeader(context) });
    await checkRefusesAnonymous(client, `/v2/${repository}/manifests/${tag}`);
    await warmUp(client);
    const image = smallImage(4 * KiB);
    const digest = await pushSmallImage(client, repository, tag, image);
    const check = await client.manifest(repository, tag);
    if (!check.body.equals(image.manifest) || check.headers['docker-content-digest'] !== digest) {
      throw new Error(`GET ${repository}:${tag} answered other bytes than were pushed (digest ${String(check.headers['docker-content-digest'])})`);
    }
    const expected = image.manifest.length;

    /** Untimed warm-up, then the timed phase, each worker with its own client view (`clientOf(worker)`). */
    const load = async (how: string, clientOf: (worker: number) => RegistryClient): Promise<{ result: LoadResult; stats: PhaseStats }> => {
      const operation = async (_index: number, worker: number): Promise<void> => {
        const response = await clientOf(worker).manifest(repository, tag);
        if (response.bytes !== expected) throw new Error(`GET manifest gave ${response.bytes} bytes, expected ${expected}`);
      };
      await runLoad({ workers: clients, count: clients * 20, seconds: warmUpSeconds, operation });
      const run = await context.phase(`manifest GET ×${clients} clients, ${how}`, () => runLoad({ workers: clients, seconds, operation }));
      context.progress(`manifest GET, ${how}: ${run.result.perSecond.toFixed(0)} req/s, p99 ${run.result.latency.percentile(99).toFixed(2)} ms`);
      return run;
    };
    const record = (key: string, base: string, cpuLabel: string, { result, stats }: { result: LoadResult; stats: PhaseStats }): void => {
      context.metric({ id: `auth.manifest.${key}.rate`, group, label: `${base}: requests`, unit: 'req/s', better: 'higher' }, result.perSecond);
      context.metric({ id: `auth.manifest.${key}.p50`, group, label: `${base}: p50`, unit: 'ms', better: 'lower' }, result.latency.percentile(50));
      context.metric({ id: `auth.manifest.${key}.p99`, group, label: `${base}: p99`, unit: 'ms', better: 'lower' }, result.latency.percentile(99));
      context.metric({
        id: `cpu.auth.manifest-get.${key}`, group: resources, label: cpuLabel, unit: 'CPU-s', better: 'lower',
      }, stats.serverCpuSeconds / (result.operations / 1000));
    };

    // 1. HTTP Basic on every request, both registries.
    const basic = await load('Basic', () => client);
    record('basic', `manifest GET by tag, ${clients} clients, Basic on every request`,
      'server CPU per 1,000 manifest GETs, Basic auth', basic);

    // 2. A bearer token per client. Distribution has no token server: its row repeats its Basic figures of this round.
    const bearerBase = `manifest GET, ${clients} clients, Berth bearer token vs Distribution Basic`;
    const bearerCpu = 'server CPU per 1,000 manifest GETs, Berth bearer vs Distribution Basic';
    if (context.server.name === 'berth') {
      const tokens = await Promise.all(Array.from({ length: clients }, () => client.bearerToken(`repository:${repository}:pull`)));
      const perClient = tokens.map((token) => client.withAuthorization(`Bearer ${token}`));
      record('bearer', bearerBase, bearerCpu, await load('bearer token', (worker) => perClient[worker]!));
      context.note('Bearer-token rows', `each of the ${clients} clients fetched its own token once (GET /auth/token with Basic, scope pull) before the warm-up and sent it with every GET`);
    } else {
      record('bearer', bearerBase, bearerCpu, basic);
      context.note('Bearer-token rows', 'has no token server of its own: its figures there are its Basic ones, from the same round');
    }
  },
};

/** Small images (config, one small layer, manifest: five requests each), as the small-images scenario pushes them, with Basic. */
export const authSmallImages: Scenario = {
  id: 'auth-small-images',
  title: 'small images with auth',

  async run(context: ScenarioContext) {
    const { images: count } = context.profile.auth;
    const { inFlight, layerBytes } = context.profile.images;
    const client = context.client(inFlight, { authorization: basicHeader(context) });
    await checkRefusesAnonymous(client, '/v2/');
    // A shorter warm-up than the first scenario's: this process has served every path already (Distribution spends
    // some 70 ms of CPU on each request's bcrypt check, so a full one costs seconds).
    await warmUp(client, 2);
    const images = Array.from({ length: count }, () => smallImage(layerBytes));
    context.syncDisk();
    const { result } = await context.phase(`${count} small images, Basic`, () => runLoad({
      workers: inFlight,
      count,
      operation: async (index) => { await pushSmallImage(client, smallImageRepository(index), 'v1', images[index]!); },
    }));
    const base = `${count.toLocaleString('en-US')} images (${formatSize(layerBytes)} layer), ${inFlight} in flight, Basic`;
    context.metric({ id: 'auth.images.rate', group, label: `${base}: images`, unit: 'image/s', better: 'higher' }, result.perSecond);
    context.metric({ id: 'auth.images.p99', group, label: `${base}: p99 per image`, unit: 'ms', better: 'lower' }, result.latency.percentile(99));
    context.progress(`small images, Basic: ${result.perSecond.toFixed(1)} image/s, p99 ${result.latency.percentile(99).toFixed(1)} ms`);
  },
};

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pushImage } from '../support/access-fixtures.js';
import {
  adminPassword, basic, createProject, createUser, errorMessage, expectStatus, setRole, startApiBerth, type ApiBerth, type ApiClient,
} from '../support/api-client.js';

/** What a receiver got: one POST. */
interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly event: any;
}

/**
 * A real HTTP receiver on 127.0.0.1. Each path answers from a script of statuses (the last one repeating), 200 when
 * it has none; every request is kept.
 */
class Receiver {
  readonly received: Received[] = [];
  readonly #scripts = new Map<string, number[]>();
  #server!: Server;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = request.url ?? '';
        this.received.push({ path, headers: request.headers, body, event: JSON.parse(body) });
        const script = this.#scripts.get(path) ?? [];
        const status = script.length > 1 ? script.shift()! : script[0] ?? 200;
        if (status >= 300 && status < 400) response.setHeader('location', `${this.url}/elsewhere`);
        response.statusCode = status;
        response.end(status >= 400 ? 'receiver says no' : 'ok');
      });
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  script(path: string, statuses: number[]): void {
    this.#scripts.set(path, statuses);
  }

  at(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Verifies a delivery per the Standard Webhooks specification, written out here rather than taken from Berth. */
function verifySignature(received: Received, secret: string): void {
  const id = received.headers['webhook-id'] as string;
  const timestamp = received.headers['webhook-timestamp'] as string;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${received.body}`).digest('base64');
  const sent = (received.headers['webhook-signature'] as string).split(' ');
  assert.ok(sent.includes(`v1,${expected}`), `the signature verifies: got ${sent.join(' ')}, expected v1,${expected}`);
  assert.ok(Math.abs(Number(timestamp) - Date.now() / 1000) < 60, 'the timestamp is now, in seconds');
}

/** /api/v1/projects/:name/webhooks: subscriptions, signed CloudEvents, retries, filters, the delivery log and replays. */
describe('webhooks', { timeout: 120_000 }, () => {
  let berth: ApiBerth;
  let admin: ApiClient;
  let teamAdmin: ApiClient;
  let maintainer: ApiClient;
  let stranger: ApiClient;
  const receiver = new Receiver();
  const auth = basic('admin', adminPassword);
  let main: { id: number; secret: string };

  const create = async (client: ApiClient, body: Record<string, unknown>) =>
    expectStatus(await client.post('/api/v1/projects/team/webhooks', body), 201).body as { id: number; secret: string; events: string[] };
  const deliveries = async (id: number): Promise<any[]> =>
    expectStatus(await admin.get(`/api/v1/projects/team/webhooks/${id}/deliveries?n=1000`), 200).body.items;

  before(async () => {
    await receiver.start();
    berth = await startApiBerth({ webhooks: { allowPrivateTargets: true, retryBaseSeconds: 0.05, maxAttempts: 5 } });
    admin = berth.admin;
    await createProject(admin, 'team');
    await createProject(admin, 'secret');
    teamAdmin = await createUser(admin, 'team-admin');
    maintainer = await createUser(admin, 'keeper');
    stranger = await createUser(admin, 'stranger');
    await setRole(admin, 'team', 'user', 'team-admin', 'admin');
    await setRole(admin, 'team', 'user', 'keeper', 'maintainer');
  });
  after(async () => {
    await berth?.close();
    await receiver.close();
  });

  it('creates a webhook whose whsec_ secret is shown once, never in lists or reads', async () => {
    const response = expectStatus(await teamAdmin.post('/api/v1/projects/team/webhooks', { url: `${receiver.url}/hook`, description: 'CI' }), 201);
    main = response.body;
    assert.match(main.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.equal(Buffer.from(main.secret.slice(6), 'base64').length, 32);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(response.body.events, ['artifact.pushed', 'tag.deleted', 'artifact.deleted', 'artifact.quarantined', 'artifact.released'],
      'the default events: pulls are opt-in');
    assert.equal(response.body.repositories, '**');
    assert.equal(response.body.tags, '**');
    assert.equal(response.body.enabled, true);
    assert.equal(response.body.createdBy, 'team-admin');

    const list = expectStatus(await teamAdmin.get('/api/v1/projects/team/webhooks'), 200);
    assert.deepEqual(list.body.items.map((item: { id: number }) => item.id), [main.id]);
    assert.equal(list.body.items[0].secret, undefined);
    assert.doesNotMatch(list.text, new RegExp(main.secret.slice(6, 30).replace(/[+/]/g, '\\$&')));
    const one = expectStatus(await teamAdmin.get(`/api/v1/projects/team/webhooks/${main.id}`), 200);
    assert.equal(one.body.secret, undefined);
    assert.equal(one.body.description, 'CI');

    const audit = expectStatus(await admin.get('/api/v1/audit?action=webhook.create'), 200).body.items;
    assert.equal(audit[0].repository, 'team');
    assert.doesNotMatch(JSON.stringify(audit), /whsec_/, 'the audit log never holds the secret');
  });

  it('sends a push as a signed CloudEvent io.berth.artifact.pushed', async () => {
    const digest = await pushImage(berth.registry.url, 'team/app', 'v1', auth);
    const got = await waitFor('the push event', () => receiver.at('/hook').find((r) => r.event.type === 'io.berth.artifact.pushed' && r.event.data.repository === 'team/app'));
    verifySignature(got, main.secret);
    assert.equal(got.headers['content-type'], 'application/cloudevents+json; charset=utf-8');
    const { event } = got;
    assert.equal(event.specversion, '1.0');
    assert.equal(event.id, got.headers['webhook-id'], 'the CloudEvent id is the webhook-id');
    assert.equal(event.source, '/berth/team/app');
    assert.equal(event.subject, `team/app:v1@${digest}`);
    assert.equal(event.datacontenttype, 'application/json');
    assert.ok(Math.abs(Date.parse(event.time) - Date.now()) < 60_000);
    assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.deepEqual({ ...event.data, size: typeof event.data.size }, {
      project: 'team', repository: 'team/app', digest, tags: ['v1'], mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 'number', artifactType: 'application/vnd.oci.image.config.v1+json', actor: { name: 'admin', kind: 'user' }, address: '127.0.0.1',
    });

    const [delivery] = await waitFor('the delivery log', async () => {
      const log = await deliveries(main.id);
      return log[0]?.status === 'delivered' ? log : undefined;
    });
    assert.equal(delivery.type, 'artifact.pushed');
    assert.equal(String(delivery.eventId), event.id);
    assert.equal(delivery.attempts.length, 1);
    assert.equal(delivery.attempts[0].attempt, 1);
    assert.equal(delivery.attempts[0].status, 'delivered');
    assert.equal(delivery.attempts[0].responseCode, 200);
    assert.equal(typeof delivery.attempts[0].durationMs, 'number');
  });

  it('sends io.berth.tag.deleted when a tag is deleted', async () => {
    const digest = await pushImage(berth.registry.url, 'team/app', 'doomed', auth);
    const deleted = await fetch(`${berth.registry.url}/v2/team/app/manifests/doomed`, { method: 'DELETE', headers: { authorization: auth } });
    assert.equal(deleted.status, 202);
    const got = await waitFor('the tag.deleted event', () => receiver.at('/hook').find((r) => r.event.type === 'io.berth.tag.deleted'));
    verifySignature(got, main.secret);
    assert.equal(got.event.subject, `team/app:doomed@${digest}`);
    assert.equal(got.event.data.tag, 'doomed');
    assert.equal(got.event.data.digest, digest);
  });

  it('tells receivers of a quarantine, with its reason, and of the release', async () => {
    const digest = await pushImage(berth.registry.url, 'team/app', 'recalled', auth);
    const quarantined = await fetch(`${berth.registry.url}/api/v1/quarantines`, {
      method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ repository: 'team/app', digest, reason: 'CVE-2024-3094 backdoor' }),
    });
    assert.equal(quarantined.status, 201);
    const got = await waitFor('the quarantine event', () => receiver.at('/hook').find((r) => r.event.type === 'io.berth.artifact.quarantined'));
    verifySignature(got, main.secret);
    assert.equal(got.event.data.digest, digest);
    assert.equal(got.event.data.reason, 'CVE-2024-3094 backdoor');
    assert.deepEqual(got.event.data.actor, { name: 'admin', kind: 'user' });
    const released = await fetch(`${berth.registry.url}/api/v1/quarantines?repository=team/app&digest=${digest}`, { method: 'DELETE', headers: { authorization: auth } });
    assert.equal(released.status, 204);
    const release = await waitFor('the release event', () => receiver.at('/hook').find((r) => r.event.type === 'io.berth.artifact.released'));
    assert.equal(release.event.data.digest, digest);
  });

  it('retries a receiver that answers 500 three times and logs attempts 1 to 4 with their codes', async () => {
    receiver.script('/flaky', [500, 500, 500, 200]);
    const flaky = await create(admin, { url: `${receiver.url}/flaky`, events: ['artifact.pushed'], repositories: 'flaky' });
    await pushImage(berth.registry.url, 'team/flaky', '1', auth);
    const delivery = await waitFor('the retried delivery', async () => {
      const [first] = await deliveries(flaky.id);
      return first?.status === 'delivered' ? first : undefined;
    });
    assert.deepEqual(delivery.attempts.map((a: any) => [a.attempt, a.status, a.responseCode]),
      [[1, 'retrying', 500], [2, 'retrying', 500], [3, 'retrying', 500], [4, 'delivered', 200]]);
    assert.match(delivery.attempts[0].error, /answered 500: receiver says no/);
    const sent = receiver.at('/flaky');
    assert.equal(sent.length, 4);
    assert.equal(new Set(sent.map((r) => r.headers['webhook-id'])).size, 1, 'every retry carries the same webhook-id, for receivers to dedupe');
    for (const request of sent) verifySignature(request, flaky.secret);
    // Exponential backoff from 0.05 s: 0.05, 0.1, 0.2 s between the attempts.
    const times = delivery.attempts.map((a: any) => Date.parse(a.at));
    assert.ok(times[3] - times[0] >= 300, `the attempts are spread by backoff: ${times.map((t: number) => t - times[0]).join(', ')} ms`);
  });

  it('counts a 302 as a failure, follows no redirect, and gives up after the configured attempts', async () => {
    receiver.script('/moved', [302]);
    const moved = await create(admin, { url: `${receiver.url}/moved`, events: ['artifact.pushed'], repositories: 'moved' });
    await pushImage(berth.registry.url, 'team/moved', '1', auth);
    const delivery = await waitFor('the failed delivery', async () => {
      const [first] = await deliveries(moved.id);
      return first?.status === 'failed' ? first : undefined;
    });
    assert.deepEqual(delivery.attempts.map((a: any) => [a.attempt, a.status, a.responseCode]),
      [[1, 'retrying', 302], [2, 'retrying', 302], [3, 'retrying', 302], [4, 'retrying', 302], [5, 'failed', 302]]);
    assert.match(delivery.attempts[0].error, new RegExp(`redirecting to ${receiver.url}/elsewhere; redirects are not followed`));
    assert.equal(receiver.at('/elsewhere').length, 0, 'the redirect was not followed');
    assert.equal(receiver.at('/moved').length, 5);
  });

  it('replays a delivery as a new series of attempts with the same event id', async () => {
    const [delivered] = await deliveries(main.id).then((log) => log.filter((d) => d.type === 'artifact.pushed' && d.repository === 'team/app' && d.tag === 'v1'));
    const before = receiver.at('/hook').filter((r) => r.headers['webhook-id'] === String(delivered.eventId)).length;
    const replayed = expectStatus(await teamAdmin.post(`/api/v1/projects/team/webhooks/${main.id}/deliveries/${delivered.id}/replay`), 202);
    assert.equal(replayed.body.id, delivered.id);
    const again = await waitFor('the replayed delivery', () => {
      const sent = receiver.at('/hook').filter((r) => r.headers['webhook-id'] === String(delivered.eventId));
      return sent.length > before ? sent.at(-1) : undefined;
    });
    verifySignature(again, main.secret);
    const log = await waitFor('the replay in the log', async () => {
      const found = (await deliveries(main.id)).find((d) => d.id === delivered.id);
      return found?.status === 'delivered' && found.attempts.length === 2 ? found : undefined;
    });
    assert.deepEqual(log.attempts.map((a: any) => a.attempt), [1, 2]);
    const audit = expectStatus(await admin.get('/api/v1/audit?action=webhook.replay'), 200).body.items;
    assert.equal(audit[0].actor, 'team-admin');
    expectStatus(await teamAdmin.post(`/api/v1/projects/team/webhooks/${main.id}/deliveries/99999/replay`), 404, 'NOT_FOUND');
  });

  it('sends only the events, repositories and tags a webhook asks for, and nothing while disabled', async () => {
    const filtered = await create(admin, { url: `${receiver.url}/filtered`, events: ['artifact.pushed'], repositories: 'app', tags: 'release-*' });
    const disabled = await create(admin, { url: `${receiver.url}/disabled`, enabled: false });
    const pulls = await create(admin, { url: `${receiver.url}/pulls`, events: ['artifact.pulled'], repositories: 'app' });
    await pushImage(berth.registry.url, 'team/app', 'v2', auth); // tag does not match
    await pushImage(berth.registry.url, 'team/web', 'release-1', auth); // repository does not match
    await fetch(`${berth.registry.url}/v2/team/app/manifests/v2`, { method: 'DELETE', headers: { authorization: auth } }); // type does not match
    const wanted = await pushImage(berth.registry.url, 'team/app', 'release-1', auth);
    const got = await waitFor('the matching push', () => receiver.at('/filtered')[0]);
    assert.equal(got.event.subject, `team/app:release-1@${wanted}`);
    // The consumer reads the outbox in order: once the last event was sent, the earlier ones were judged.
    assert.equal(receiver.at('/filtered').length, 1);
    assert.equal((await deliveries(filtered.id)).length, 1);
    assert.equal((await deliveries(disabled.id)).length, 0, 'a disabled webhook gets no deliveries');
    assert.equal(receiver.at('/pulls').length, 0, 'pushes are not pulls');

    const pulled = await fetch(`${berth.registry.url}/v2/team/app/manifests/release-1`, {
      headers: { authorization: auth, accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(pulled.status, 200);
    const pull = await waitFor('the pull event', () => receiver.at('/pulls')[0]);
    assert.equal(pull.event.type, 'io.berth.artifact.pulled');
    assert.equal(pull.event.data.tag, 'release-1');
    verifySignature(pull, pulls.secret);
  });

  it('lets project admins change, rotate and delete webhooks', async () => {
    const made = await create(teamAdmin, { url: `${receiver.url}/changing` });
    const changed = expectStatus(await teamAdmin.patch(`/api/v1/projects/team/webhooks/${made.id}`, {
      url: `${receiver.url}/changed`, events: ['tag.deleted', 'artifact.pushed'], tags: 'v*', description: 'moved', enabled: false,
    }), 200).body;
    assert.equal(changed.url, `${receiver.url}/changed`);
    assert.deepEqual(changed.events, ['artifact.pushed', 'tag.deleted']);
    assert.equal(changed.tags, 'v*');
    assert.equal(changed.enabled, false);
    const rotated = expectStatus(await teamAdmin.post(`/api/v1/projects/team/webhooks/${made.id}/secret`), 200);
    assert.match(rotated.body.secret, /^whsec_/);
    assert.notEqual(rotated.body.secret, made.secret);
    expectStatus(await teamAdmin.delete(`/api/v1/projects/team/webhooks/${made.id}`), 204);
    expectStatus(await teamAdmin.get(`/api/v1/projects/team/webhooks/${made.id}`), 404, 'NOT_FOUND');
    expectStatus(await teamAdmin.patch(`/api/v1/projects/team/webhooks/${made.id}`, { enabled: true }), 404, 'NOT_FOUND');
  });

  it('refuses malformed webhooks with what to send', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /^body\.url: required/],
      [{ url: 'ftp://example.com/x' }, /http or https only/],
      [{ url: 'https://user:pw@example.com/' }, /may not hold a username or password/],
      [{ url: `${receiver.url}/x`, events: ['artifact.exploded'] }, /^body\.events\[0\]: send one of "artifact.pushed"/],
      [{ url: `${receiver.url}/x`, events: [] }, /at least one event type/],
      [{ url: `${receiver.url}/x`, tags: '' }, /tag glob/],
      [{ url: `${receiver.url}/x`, secret: 'mine' }, /unknown field "secret"/],
    ];
    for (const [body, message] of cases) {
      assert.match(errorMessage(expectStatus(await admin.post('/api/v1/projects/team/webhooks', body), 400, 'INVALID_REQUEST')), message);
    }
    expectStatus(await admin.patch(`/api/v1/projects/team/webhooks/${main.id}`, {}), 400, 'INVALID_REQUEST');
  });

  it('refuses members who are not project admins (403) and answers strangers as if the project did not exist (404)', async () => {
    const refused = expectStatus(await maintainer.post('/api/v1/projects/team/webhooks', { url: `${receiver.url}/x` }), 403, 'DENIED');
    assert.match(errorMessage(refused), /update-project \(project role admin\)/);
    expectStatus(await maintainer.get('/api/v1/projects/team/webhooks'), 403, 'DENIED');
    expectStatus(await maintainer.get(`/api/v1/projects/team/webhooks/${main.id}/deliveries`), 403, 'DENIED');
    expectStatus(await maintainer.delete(`/api/v1/projects/team/webhooks/${main.id}`), 403, 'DENIED');
    const audit = expectStatus(await admin.get('/api/v1/audit?action=webhook.create&outcome=denied'), 200).body.items;
    assert.equal(audit[0].actor, 'keeper');

    expectStatus(await stranger.post('/api/v1/projects/team/webhooks', { url: `${receiver.url}/x` }), 404, 'NOT_FOUND');
    expectStatus(await stranger.get('/api/v1/projects/team/webhooks'), 404, 'NOT_FOUND');
    expectStatus(await teamAdmin.get('/api/v1/projects/secret/webhooks'), 404, 'NOT_FOUND');
    expectStatus(await berth.anonymous.get('/api/v1/projects/team/webhooks'), 401, 'UNAUTHORIZED');
    // A webhook of one project is not reachable through another.
    expectStatus(await admin.get(`/api/v1/projects/secret/webhooks/${main.id}`), 404, 'NOT_FOUND');
  });
});

describe('webhooks without webhooks.allowPrivateTargets', { timeout: 60_000 }, () => {
  let berth: ApiBerth;

  before(async () => {
    berth = await startApiBerth();
    await createProject(berth.admin, 'team');
  });
  after(async () => { await berth?.close(); });

  it('refuses receivers on loopback, private and link-local addresses, saying how to allow them', async () => {
    for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://[::1]/', 'http://10.0.0.8/', 'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/']) {
      const response = expectStatus(await berth.admin.post('/api/v1/projects/team/webhooks', { url }), 400, 'INVALID_REQUEST');
      assert.match(errorMessage(response), /not sent to (loopback|private|link-local|unspecified) addresses/, url);
      assert.match(errorMessage(response), /webhooks\.allowPrivateTargets: true/, url);
    }
    assert.deepEqual(expectStatus(await berth.admin.get('/api/v1/projects/team/webhooks'), 200).body.items, []);
  });
});

/*
 * Webhooks end to end, as an operator meets them: a real `berth serve` process configured from a YAML file, a
 * webhook made with the real `berth webhook create`, a real `podman push`, and a receiver that verifies the Standard
 * Webhooks signature of the CloudEvent it gets; then `berth webhook deliveries --json` shows the delivery.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { makeTempDir, removeDir } from '../support/clients/run.js';
import { SandboxedClients } from '../support/clients/sandboxed-clients.js';
import { runBerthCli } from '../support/berth-cli.js';

const adminPassword = 'admin-password-for-webhooks';
const timeout = 180_000;

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }
interface Received { readonly path: string; readonly headers: IncomingHttpHeaders; readonly body: string }

describe('webhooks with podman and the berth CLI against a real Berth process', { timeout }, () => {
  let berth: BerthProcess;
  let work: string;
  let clients: SandboxedClients;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  let webhook: { id: string; secret: string };
  const local = 'localhost/berth-webhooks/app:1';

  /** Runs `berth <args>` as a user would, with its own config folder and none of the caller's BERTH_* settings. */
  const berthCli = (args: string[], input = ''): Promise<Run> => runBerthCli(args, { configDir: join(work, 'cli-config'), input });
  const ok = (run: Run): Run => {
    assert.equal(run.code, 0, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
    return run;
  };
  const waitFor = async <T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  };

  before(async () => {
    work = makeTempDir('webhooks');
    clients = new SandboxedClients(work);
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.end('thanks');
      });
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    // The receiver is on this machine: the administrator allows private targets in the configuration file.
    const config = join(work, 'berth.yaml');
    writeFileSync(config, 'webhooks:\n  allowPrivateTargets: true\n  retryBaseSeconds: 0.1\n  timeoutSeconds: 5\n');
    berth = await startBerthProcess({ env: { BERTH_ADMIN_PASSWORD: adminPassword }, args: ['--config', config] });

    const context = join(work, 'context');
    mkdirSync(context);
    writeFileSync(join(context, 'hello.txt'), 'hello from the webhook tests\n');
    writeFileSync(join(context, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\nCMD ["/hello.txt"]\n');
    await clients.podman('build', ['build', '--quiet', '--tag', local, context]);
  });

  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    receiver?.closeAllConnections();
    await new Promise((done) => receiver?.close(done));
    if (work) removeDir(work);
  });

  it('creates a webhook with `berth webhook create`, which prints its id and whsec_ secret once', { timeout }, async () => {
    ok(await berthCli(['login', berth.url, '-u', 'admin', '--password-stdin'], `${adminPassword}\n`));
    ok(await berthCli(['project', 'create', 'team']));
    const created = ok(await berthCli(['webhook', 'create', 'team', '--url', `${receiverUrl}/hook`]));
    const id = /Created webhook (\d+) of project team/.exec(created.stdout)?.[1];
    const secret = /Secret: (whsec_\S+)/.exec(created.stdout)?.[1];
    assert.ok(id && secret, `the id and secret are printed:\n${created.stdout}`);
    assert.match(created.stderr, /not shown again/);
    webhook = { id, secret };

    const listed = ok(await berthCli(['webhook', 'list', 'team', '--json']));
    const [only] = JSON.parse(listed.stdout) as { id: number; url: string; events: string[] }[];
    assert.equal(String(only!.id), id);
    assert.equal(only!.url, `${receiverUrl}/hook`);
    assert.deepEqual(only!.events, ['artifact.pushed', 'tag.deleted', 'artifact.deleted', 'artifact.quarantined', 'artifact.released']);
    assert.doesNotMatch(listed.stdout, /whsec_/, 'lists never show the secret');
  });

  it('takes the registry from --url, -u and --password-stdin too, with the receiver\'s --url after the command', { timeout }, async () => {
    const created = ok(await berthCli(['webhook', 'create', 'team', '--url', `${receiverUrl}/pulls`, '--events', 'artifact.pulled', '--json',
      '--url', berth.url, '-u', 'admin', '--password-stdin'], `${adminPassword}\n`));
    const body = JSON.parse(created.stdout) as { url: string; events: string[]; secret: string };
    assert.equal(body.url, `${receiverUrl}/pulls`);
    assert.deepEqual(body.events, ['artifact.pulled']);
    assert.match(body.secret, /^whsec_/);
    const refused = await berthCli(['webhook', 'create', 'team', '--url', 'ftp://example.com/']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^berth: webhooks are sent over http or https only/);
  });

  it('sends a podman push to the receiver as a CloudEvent whose Standard Webhooks signature verifies', { timeout }, async () => {
    await clients.login(berth.hostPort, 'admin', 'admin', adminPassword);
    await clients.podman('build', ['push', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('admin'), local, `${berth.hostPort}/team/app:1`]);
    const got = await waitFor('the push event', () => received.find((r) => r.path === '/hook' && JSON.parse(r.body).type === 'io.berth.artifact.pushed'));

    const id = got.headers['webhook-id'] as string;
    const timestamp = got.headers['webhook-timestamp'] as string;
    const key = Buffer.from(webhook.secret.slice('whsec_'.length), 'base64');
    const expected = `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${got.body}`).digest('base64')}`;
    assert.ok((got.headers['webhook-signature'] as string).split(' ').includes(expected), 'the signature verifies with the secret');
    assert.ok(Math.abs(Number(timestamp) - Date.now() / 1000) < 120);
    assert.equal(got.headers['content-type'], 'application/cloudevents+json; charset=utf-8');

    const event = JSON.parse(got.body);
    assert.equal(event.specversion, '1.0');
    assert.equal(event.id, id);
    assert.equal(event.data.project, 'team');
    assert.equal(event.data.repository, 'team/app');
    assert.deepEqual(event.data.tags, ['1']);
    assert.match(event.data.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(event.subject, `team/app:1@${event.data.digest}`);
    assert.deepEqual(event.data.actor, { name: 'admin', kind: 'user' });
    assert.ok(event.data.size > 0);
    assert.equal(received.filter((r) => r.path === '/pulls').length, 0, 'a push is not a pull');
  });

  it('sends a delete made with skopeo as a signed io.berth.artifact.deleted', { timeout }, async () => {
    const pushed = received.map((r) => JSON.parse(r.body)).find((event) => event.type === 'io.berth.artifact.pushed');
    const result = await clients.skopeo(['delete', '--tls-verify=false', '--creds', `admin:${adminPassword}`, `docker://${berth.hostPort}/team/app:1`]);
    assert.equal(result.code, 0, result.stderr);
    const got = await waitFor('the delete event', () => received.find((r) => r.path === '/hook' && JSON.parse(r.body).type === 'io.berth.artifact.deleted'));
    const key = Buffer.from(webhook.secret.slice('whsec_'.length), 'base64');
    const signed = `${got.headers['webhook-id']}.${got.headers['webhook-timestamp']}.${got.body}`;
    assert.ok((got.headers['webhook-signature'] as string).split(' ').includes(`v1,${createHmac('sha256', key).update(signed).digest('base64')}`));
    const event = JSON.parse(got.body);
    assert.equal(event.data.digest, pushed.data.digest, 'skopeo deletes the manifest the tag named');
    assert.deepEqual(event.data.tags, ['1'], 'with the tag that went with it');
  });

  it('lists the delivery with `berth webhook deliveries PROJECT ID --json`', { timeout }, async () => {
    const deliveries = await waitFor('the delivered entry', async () => {
      const listed = JSON.parse(ok(await berthCli(['webhook', 'deliveries', 'team', webhook.id, '--json'])).stdout) as any[];
      return listed.some((delivery) => delivery.status === 'delivered') ? listed : undefined;
    });
    // The image's push, not the SBOM Berth attaches to it once scanned (an untagged push of its own).
    const pushed = deliveries.find((delivery) => delivery.type === 'artifact.pushed' && delivery.repository === 'team/app' && delivery.tag !== null);
    assert.ok(pushed, JSON.stringify(deliveries));
    assert.equal(pushed.status, 'delivered');
    assert.equal(pushed.tag, '1');
    assert.equal(pushed.attempts.length, 1);
    assert.equal(pushed.attempts[0].attempt, 1);
    assert.equal(pushed.attempts[0].responseCode, 200);
    assert.equal(typeof pushed.attempts[0].durationMs, 'number');

    const table = ok(await berthCli(['webhook', 'deliveries', 'team', webhook.id, '--url', berth.url, '-u', 'admin', '--password-stdin'], `${adminPassword}\n`));
    assert.match(table.stdout, /^DELIVERY\s+EVENT\s+TYPE\s+REPOSITORY\s+ATTEMPT\s+STATUS\s+CODE/m);
    assert.match(table.stdout, /artifact\.pushed\s+team\/app:1\s+1\s+delivered\s+200/);
  });
});

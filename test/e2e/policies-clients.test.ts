/**
 * Immutable tags and quarantine as the real clients meet them: one `berth serve` child process with access control
 * on (BERTH_ADMIN_PASSWORD), a maintainer driving the policies with the `berth` CLI (a child process too), skopeo
 * pushing, and skopeo, podman and containerd's ctr pulling as two robots. The same behaviour over plain HTTP is in
 * test/protocol/policy-immutable-tags.test.ts and policy-quarantine.test.ts; this file checks that each client
 * actually stops, and what it tells its user when it does.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdminApi, basicAuth, type CreatedRobot } from '../support/admin-api.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { startContainerd, type Containerd } from '../support/clients/containerd.js';
import { descriptorForTag } from '../support/clients/oci-layout.js';
import { allManifestTypes } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir, runCommand, type RunResult } from '../support/clients/run.js';
import { SandboxedClients } from '../support/clients/sandboxed-clients.js';
import { tool } from '../support/clients/tools.js';
import { runBerthCli } from '../support/berth-cli.js';
import { cleanUp } from '../support/cleanup.js';
import { assertSucceeded, assertFailed } from '../support/clients/outcomes.js';

const timeout = 300_000;
const adminPassword = 'policies-admin-password-1';
const maintainer = { username: 'mia', password: 'mia-maintainer-password' };
const reason = 'CVE-2024-3094 backdoor';

interface ImmutableRule { readonly id: number; readonly project: string; readonly tags: string; readonly repositories: string }
interface Quarantine { readonly repository: string; readonly digest: string; readonly reason: string; readonly createdBy: string }
interface Puller {
  readonly actor: string; readonly actorKind: string; readonly count: number;
  readonly firstPull: string; readonly lastPull: string; readonly addresses: string[];
}
interface RequestLog { readonly msg?: string; readonly method?: string; readonly url?: string; readonly status?: number }


describe('immutable tags and quarantine with skopeo, podman and containerd against a real Berth process', { timeout }, () => {
  let berth: BerthProcess;
  let containerd: Containerd;
  let work: string;
  let clients: SandboxedClients;
  let admin: AdminApi;
  /** Two different images FROM scratch, each saved as an OCI layout (tag "app") for skopeo. */
  const image = { a: { layout: '', digest: '' }, b: { layout: '', digest: '' } };
  let ci: CreatedRobot;
  let deploy: CreatedRobot;
  const remote = (path: string): string => `${berth.hostPort}/${path}`;
  /** team/app by tag, or by digest. */
  const app = (reference: string): string => remote(reference.startsWith('sha256:') ? `team/app@${reference}` : `team/app:${reference}`);
  const creds = (robot: CreatedRobot): string => `${robot.name}:${robot.secret}`;

  /**
   * Runs `berth <args>` as the maintainer, as a user would: --url, -u and --password-stdin, its own config folder, and
   * none of the caller's BERTH_* settings.
   */
  const berthCli = async (args: readonly string[]): Promise<RunResult> => {
    const run = await runBerthCli(['--url', berth.url, '-u', maintainer.username, '--password-stdin', ...args],
      { configDir: join(work, 'berth-cli'), input: `${maintainer.password}\n` });
    return { ...run, command: `berth ${args.join(' ')}` };
  };
  /** A CLI command with --json that must succeed; answers its parsed output. */
  const berthJson = async <T>(args: readonly string[]): Promise<T> =>
    JSON.parse(assertSucceeded(await berthCli([...args, '--json']), `berth ${args.join(' ')}`).stdout) as T;

  /**
   * The digest a tag names, by HEAD: a HEAD is not a pull, so these checks leave no trace in the audit log that
   * `berth pullers` reads.
   */
  const digestOfTag = async (tag: string): Promise<string | null> => {
    const response = await fetch(`${berth.url}/v2/team/app/manifests/${tag}`, {
      method: 'HEAD', headers: { accept: allManifestTypes, authorization: basicAuth(maintainer.username, maintainer.password) },
    });
    assert.equal(response.status, 200, `HEAD team/app:${tag}`);
    return response.headers.get('docker-content-digest');
  };

  /** skopeo copy from an OCI layout into Berth, as a robot. */
  const skopeoPush = (layout: string, tag: string, robot: CreatedRobot): Promise<RunResult> =>
    clients.trySkopeo(['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', creds(robot),
      `oci:${layout}:app`, `docker://${remote(`team/app:${tag}`)}`]);
  /** Numbers fresh destinations, so that every pull below really fetches. */
  let pulls = 0;
  /** skopeo copy from Berth into a fresh OCI layout (tag "app"), as a robot. */
  const skopeoPull = (reference: string, robot: CreatedRobot, into = join(work, `pulled-${++pulls}`)): Promise<RunResult> =>
    clients.trySkopeo(['copy', '--quiet', '--src-tls-verify=false', '--src-creds', creds(robot),
      `docker://${app(reference)}`, `oci:${into}:app`]);
  /** podman pull into a fresh private image store, as a robot. */
  const podmanPull = (reference: string, robot: CreatedRobot, store = `pull-${++pulls}`): Promise<RunResult> =>
    clients.tryPodman(store, ['pull', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('anonymous'),
      '--creds', creds(robot), app(reference)]);
  /** ctr images pull into the private containerd, as a robot; the image is removed first so the pull is real. */
  const ctrPull = async (tag: string, robot: CreatedRobot): Promise<RunResult> => {
    const ref = app(tag);
    await runCommand(tool('ctr'), ['-a', containerd.socket, 'images', 'rm', '--sync', ref]);
    return runCommand(tool('ctr'), ['-a', containerd.socket, 'images', 'pull', '--plain-http', '--snapshotter', 'native',
      '--user', creds(robot), ref]);
  };

  /** The digest containerd lists for an image reference (`ctr images ls`: REF TYPE DIGEST …). */
  const ctrDigestOf = async (ref: string): Promise<string | undefined> => {
    for (const line of (await containerd.ctr(['images', 'ls'])).stdout.trim().split('\n').slice(1)) {
      const [name, , digest] = line.trim().split(/\s+/);
      if (name === ref) return digest;
    }
    return undefined;
  };

  /**
   * Waits until Berth's request log (its standard output, read through a pipe) has caught up with everything it
   * answered so far: one more request, with a marker in its URL, is logged after all of them. Answers the log's length.
   */
  let markers = 0;
  const logCaughtUp = async (): Promise<number> => {
    const marker = `log-marker-${++markers}`;
    await (await fetch(`${berth.url}/v2/?${marker}`)).arrayBuffer();
    const deadline = Date.now() + 10_000;
    while (!berth.logs.some((line) => line.includes(marker))) {
      assert.ok(Date.now() < deadline, `Berth never logged the request GET /v2/?${marker}`);
      await sleep(20);
    }
    return berth.logs.length;
  };

  /** Manifest GETs of team/app that Berth answered 200, from its request log's lines `from` to `to`. */
  const manifestGetsBetween = (from: number, to: number): number => berth.logs.slice(from, to).filter((line) => {
    try {
      const entry = JSON.parse(line) as RequestLog;
      return entry.msg === 'request' && entry.method === 'GET' && entry.status === 200 && /^\/v2\/team\/app\/manifests\//.test(entry.url ?? '');
    } catch {
      return false;
    }
  }).length;

  before(async () => {
    work = makeTempDir('policies');
    clients = new SandboxedClients(work);
    berth = await startBerthProcess({ env: { BERTH_ADMIN_PASSWORD: adminPassword } });
    admin = new AdminApi(berth.url, 'admin', adminPassword);

    // The administrator sets up a private project, its maintainer, and two push-pull robots.
    await admin.createProject('team', false);
    await admin.createUser({ ...maintainer, email: 'mia@example.org' });
    await admin.setMember('team', { kind: 'user', name: maintainer.username, role: 'maintainer' });
    ci = await admin.createRobot({ name: 'ci', permissions: [{ project: 'team', actions: ['pull', 'push'] }] });
    deploy = await admin.createRobot({ name: 'deploy', permissions: [{ project: 'team', actions: ['pull', 'push'] }] });

    // Two small images FROM scratch that differ in one file's content (so in layer, config and manifest), built
    // with podman and saved as OCI layouts for skopeo to push from.
    for (const [name, entry] of Object.entries(image)) {
      const context = join(work, `context-${name}`);
      mkdirSync(context);
      writeFileSync(join(context, 'hello.txt'), `hello from image ${name} of the policy tests\n`);
      writeFileSync(join(context, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\nCMD ["/hello.txt"]\n');
      const local = `localhost/berth-policies/app:${name}`;
      await clients.podman('build', ['build', '--quiet', '--tag', local, context]);
      entry.layout = join(work, `layout-${name}`);
      await clients.podman('build', ['push', '--quiet', local, `oci:${entry.layout}:app`]);
      entry.digest = descriptorForTag(entry.layout, 'app').digest;
    }
    assert.notEqual(image.a.digest, image.b.digest, 'the two images differ');

    containerd = await startContainerd();
  });

  after(() => cleanUp('the policy e2e tests', [
    () => containerd?.stop(),
    () => berth?.stop(),
    () => { if (berth) removeDataDir(berth.dataDir); },
    () => removeDir(work),
  ]));

  describe('immutable tags', { timeout }, () => {
    let rule: ImmutableRule;

    it('the maintainer makes v* tags of the project immutable with `berth immutable add`', { timeout }, async () => {
      rule = await berthJson<ImmutableRule>(['immutable', 'add', 'team', '--tags', 'v*']);
      assert.equal(typeof rule.id, 'number', `the rule has an id: ${JSON.stringify(rule)}`);
      assert.equal(rule.project, 'team');
      assert.equal(rule.tags, 'v*');
      assert.equal(rule.repositories, '**', 'every repository of the project, unless told');
      const listed = await berthJson<ImmutableRule[]>(['immutable', 'list', 'team']);
      assert.deepEqual(listed.map((item) => [item.id, item.tags]), [[rule.id, 'v*']]);
    });

    it('skopeo pushes image A to v1.0, and cannot move v1.0 to image B: skopeo reports the rule', { timeout }, async () => {
      assertSucceeded(await skopeoPush(image.a.layout, 'v1.0', ci), 'the first skopeo copy to team/app:v1.0');
      assert.equal(await digestOfTag('v1.0'), image.a.digest, 'v1.0 names image A');

      // skopeo 1.9 prints the registry's error message: level=fatal msg="writing manifest: uploading manifest v1.0 to
      // …/team/app: denied: the tag v1.0 is immutable under rule 1 of project team (repositories \"**\", tags \"v*\"):
      // push it under a new tag instead: team/app:v1.0 cannot be moved from sha256:…; a maintainer can remove the rule
      // (berth immutable)".
      const moved = await skopeoPush(image.b.layout, 'v1.0', ci);
      assertFailed(moved, new RegExp(`denied: the tag v1\\.0 is immutable under rule ${rule.id} of project team`),
        'moving team/app:v1.0 to image B');
      assert.equal(await digestOfTag('v1.0'), image.a.digest, 'v1.0 still names image A');
    });

    it('a tag outside the pattern moves: latest goes from image A to image B', { timeout }, async () => {
      assertSucceeded(await skopeoPush(image.a.layout, 'latest', ci), 'skopeo copy of image A to team/app:latest');
      assert.equal(await digestOfTag('latest'), image.a.digest);
      assertSucceeded(await skopeoPush(image.b.layout, 'latest', ci), 'skopeo copy of image B over team/app:latest');
      assert.equal(await digestOfTag('latest'), image.b.digest, 'latest moved to image B');
      assert.equal(await digestOfTag('v1.0'), image.a.digest, 'v1.0 did not');
    });
  });

  describe('quarantine and recall', { timeout }, () => {
    /** Manifest GETs Berth served to each robot before the quarantine, measured from its request log. */
    const measured = { ci: 0, deploy: 0 };

    it('before any quarantine, robot ci pulls v1.0 twice with skopeo and robot deploy once with podman', { timeout }, async () => {
      // How many manifest GETs a client makes is its own business (skopeo 1.9 and podman 4.3 make one per pull of a
      // single-platform image): count what Berth served in each robot's window, which is what pullers must report.
      const start = await logCaughtUp();
      for (let i = 0; i < 2; i++) assertSucceeded(await skopeoPull('v1.0', ci), `skopeo copy ${i + 1} of team/app:v1.0 as robot$ci`);
      const between = await logCaughtUp();
      assertSucceeded(await podmanPull('v1.0', deploy), 'podman pull of team/app:v1.0 as robot$deploy');
      const end = await logCaughtUp();
      measured.ci = manifestGetsBetween(start, between);
      measured.deploy = manifestGetsBetween(between, end);
      assert.ok(measured.ci >= 2, `skopeo GETs the manifest at least once per copy (${measured.ci})`);
      assert.ok(measured.deploy >= 1, `podman GETs the manifest (${measured.deploy})`);
    });

    it('the maintainer quarantines v1.0\'s digest; podman, skopeo and ctr pulls are refused, naming the reason', { timeout }, async () => {
      const quarantined = await berthJson<Quarantine>(['quarantine', `team/app@${image.a.digest}`, '--reason', reason]);
      assert.equal(quarantined.repository, 'team/app');
      assert.equal(quarantined.digest, image.a.digest);
      assert.equal(quarantined.reason, reason);
      assert.equal(quarantined.createdBy, maintainer.username);
      const listed = await berthJson<Quarantine[]>(['quarantine', '--project', 'team']);
      assert.deepEqual(listed.map((item) => [item.repository, item.digest, item.reason]), [['team/app', image.a.digest, reason]]);

      // What each client shows its user (skopeo 1.9.3, podman 4.3.1, ctr 1.6.20):
      // - skopeo: level=fatal msg="initializing source docker://…/team/app:v1.0: reading manifest v1.0 in …/team/app:
      //   denied: team/app@sha256:… is quarantined: CVE-2024-3094 backdoor. Pull another version, or ask a
      //   maintainer of the project to release it (berth release) once it is safe"
      // - podman: the same line after "Error: " (both read the registry's error body on the manifest GET).
      // - ctr: failed to resolve reference "…/team/app:v1.0": pulling from host … failed with status code
      //   [manifests v1.0]: 403 Forbidden. containerd resolves a tag with a HEAD only (Berth's log shows HEAD 401,
      //   POST /auth/token, HEAD 403), and a HEAD answer has no body, so the status is all it can show.
      const quarantinedWithReason = new RegExp(`denied: team/app@${image.a.digest} is quarantined: ${reason}`);
      assertFailed(await skopeoPull('v1.0', ci), quarantinedWithReason, 'skopeo copy of the quarantined team/app:v1.0');
      assertFailed(await skopeoPull(image.a.digest, ci), quarantinedWithReason, 'skopeo copy of the quarantined digest');
      assertFailed(await podmanPull('v1.0', deploy), quarantinedWithReason, 'podman pull of the quarantined team/app:v1.0');
      assertFailed(await ctrPull('v1.0', deploy), /failed to resolve reference.*403 Forbidden/, 'ctr pull of the quarantined team/app:v1.0');
      // Nobody is exempt: the maintainer who quarantined it cannot pull it either, and a tag outside it still pulls.
      const asMaintainer = await fetch(`${berth.url}/v2/team/app/manifests/v1.0`, {
        headers: { accept: allManifestTypes, authorization: basicAuth(maintainer.username, maintainer.password) },
      });
      assert.equal(asMaintainer.status, 403, await asMaintainer.text());
      assertSucceeded(await skopeoPull('latest', ci), 'skopeo copy of team/app:latest (image B, not quarantined)');
    });

    it('`berth pullers` lists both robots, with as many pulls as Berth served each before the quarantine', { timeout }, async () => {
      // The audit log is written from the event outbox, a little after each pull: wait until it has caught up.
      let pullers: Puller[] = [];
      const deadline = Date.now() + 15_000;
      const countOf = (actor: string): number | undefined => pullers.find((item) => item.actor === actor)?.count;
      do {
        pullers = await berthJson<Puller[]>(['pullers', `team/app@${image.a.digest}`]);
        if (countOf(ci.name) === measured.ci && countOf(deploy.name) === measured.deploy) break;
        await sleep(250);
      } while (Date.now() < deadline);

      // Only successful pulls count: the refused ones after the quarantine, and HEADs, are not pulls of the image.
      assert.deepEqual(pullers.map((item) => [item.actor, item.actorKind, item.count]), [
        [ci.name, 'robot', measured.ci],
        [deploy.name, 'robot', measured.deploy],
      ], `pullers of team/app@${image.a.digest}: ${JSON.stringify(pullers)}`);
      for (const item of pullers) {
        assert.deepEqual(item.addresses, ['127.0.0.1']);
        assert.ok(!Number.isNaN(Date.parse(item.firstPull)) && Date.parse(item.firstPull) <= Date.parse(item.lastPull),
          `first and last pull are times, in order: ${JSON.stringify(item)}`);
      }
      const ciPulls = pullers.find((item) => item.actor === ci.name)!;
      assert.ok(Date.parse(ciPulls.firstPull) < Date.parse(ciPulls.lastPull), `robot$ci pulled at two times: ${JSON.stringify(ciPulls)}`);
    });

    it('`berth release` lets podman, skopeo and ctr pull v1.0 again', { timeout }, async () => {
      const released = await berthJson<{ released: boolean; digest: string }>(['release', `team/app@${image.a.digest}`]);
      assert.deepEqual([released.released, released.digest], [true, image.a.digest]);
      assert.deepEqual(await berthJson<Quarantine[]>(['quarantine', '--project', 'team']), [], 'no quarantine is left');

      const layout = join(work, 'released');
      assertSucceeded(await skopeoPull('v1.0', ci, layout), 'skopeo copy of the released team/app:v1.0');
      assert.equal(descriptorForTag(layout, 'app').digest, image.a.digest, 'skopeo copied image A');
      assertSucceeded(await podmanPull('v1.0', deploy, 'released'), 'podman pull of the released team/app:v1.0');
      const inspected = await clients.podman('released', ['image', 'inspect', '--format', '{{.Digest}}', app('v1.0')]);
      assert.equal(inspected.stdout.trim(), image.a.digest, 'podman pulled image A');
      assertSucceeded(await ctrPull('v1.0', deploy), 'ctr pull of the released team/app:v1.0');
      assert.equal(await ctrDigestOf(app('v1.0')), image.a.digest, 'containerd holds image A under v1.0');
    });
  });
});

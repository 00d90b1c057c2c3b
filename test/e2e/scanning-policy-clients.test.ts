/**
 * Vulnerability policies as the real clients meet them: one `berth serve` child process with access control on and
 * its advisories read from a feed folder laid out as OSV's bucket (BERTH_SCAN_FEED), a maintainer driving the policy
 * with the `berth` CLI (a child process too), skopeo pushing an image umoci built from the real Debian 12.15 root of
 * the fixtures, and podman and skopeo pulling it as a robot. The same rules over plain HTTP, GET and HEAD, are in
 * test/protocol/scanning-policy.test.ts; this file checks that each client stops, and what it tells its user.
 *
 * The committed Debian records carry no severity of their own (their findings rate UNKNOWN, which never blocks at
 * HIGH): the feed's copy of zlib's record gets a CVSS v3.1 vector that scores 9.8, so exactly one advisory is
 * CRITICAL. Later a new advisory for the image's pcre2, CRITICAL too, is published into the folder as OSV publishes
 * one (its record file, and its line at the top of modified_id.csv) to make a rescan quarantine the image.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdminApi, type CreatedRobot } from '../support/admin-api.js';
import { runBerthCli } from '../support/berth-cli.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { cleanUp } from '../support/cleanup.js';
import { buildUmociImage } from '../support/clients/oci-layout.js';
import { makeTempDir, removeDir, type RunResult } from '../support/clients/run.js';
import { outputOf, SandboxedClients } from '../support/clients/sandboxed-clients.js';
import { eventually } from '../support/registry-client.js';
import { allZip, fixtureRecord, fixtureRecords, modifiedIdCsv, scanFixtures, type FeedRecord } from '../support/scanning.js';
import { assertSucceeded, assertFailed, literal } from '../support/clients/outcomes.js';

const timeout = 300_000;
const adminPassword = 'scan-policy-admin-password-1';
const maintainer = { username: 'mia', password: 'mia-maintainer-password' };
const admin = { username: 'admin', password: adminPassword };
const criticalVector = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }];
/** The real record of zlib's bookworm-security update, CRITICAL in this feed: it affects the image's zlib1g 1:1.2.13.dfsg-1. */
const zlibId = 'DERIVED-zlib-1_1.2.13.dfsg-1+deb12u1';
/** The advisory published later, derived from the real record of pcre2's update (the image has libpcre2-8-0 10.42-1). */
const newId = 'DERIVED-pcre2-2026-90001';

interface Policy { project: string; blockSeverity: string | null; blockUnscanned: boolean; autoQuarantine: boolean; updatedBy: string | null }
interface Entry { id: number; project: string | null; advisory: string; reason: string; expiresAt: string | null; expired: boolean; createdBy: string }
interface Quarantine { repository: string; digest: string; reason: string; createdBy: string }
interface Feed { source: string; records: number; error: string | null }
interface Report { status: string; summary: { critical: number } }

/** Every file of a folder, path inside it -> bytes: the files umoci puts in the image's root. */
function filesOf(root: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile())
    .map((entry) => [relative(root, join(entry.parentPath, entry.name)), readFileSync(join(entry.parentPath, entry.name))]));
}

/** A committed Debian record, changed, as the feed serves it. */
function derivedRecord(id: string, changes: Record<string, unknown>): FeedRecord {
  const record = { ...fixtureRecord('debian', id), ...changes } as { id: string; modified: string };
  return { id: record.id, modified: record.modified, bytes: Buffer.from(`${JSON.stringify(record, null, 2)}\n`) };
}

describe('vulnerability policies with podman, skopeo and the berth CLI against a real Berth process', { timeout: 900_000 }, () => {
  let berth: BerthProcess;
  let work: string;
  let feed: string;
  let clients: SandboxedClients;
  let adminApi: AdminApi;
  let ci: CreatedRobot;
  let deploy: CreatedRobot;
  let digest: string;
  const records = fixtureRecords('debian');
  records.set(zlibId, derivedRecord(zlibId, { severity: criticalVector }));

  const image = (): string => `${berth.hostPort}/team/debian:12`;
  const creds = (robot: CreatedRobot): string => `${robot.name}:${robot.secret}`;

  /** Runs `berth <args>` as a user would: --url, -u and --password-stdin, its own config folder, none of our BERTH_*. */
  const berthCli = async (as: { username: string; password: string }, args: readonly string[]): Promise<RunResult> => {
    const run = await runBerthCli(['--url', berth.url, '-u', as.username, '--password-stdin', ...args],
      { configDir: join(work, `berth-cli-${as.username}`), input: `${as.password}\n`, timeoutMs: timeout });
    return { ...run, command: `berth ${args.join(' ')} (as ${as.username})` };
  };
  const cliOk = async (as: { username: string; password: string }, args: readonly string[]): Promise<string> =>
    assertSucceeded(await berthCli(as, args), `berth ${args.join(' ')}`).stdout;
  /** A CLI command with --json that must succeed; answers its parsed output. */
  const cliJson = async <T>(as: { username: string; password: string }, args: readonly string[]): Promise<T> =>
    JSON.parse(await cliOk(as, [...args, '--json'])) as T;

  /** Numbers fresh destinations, so that every pull below really fetches. */
  let pulls = 0;
  /** podman pull of team/debian:12 into a fresh private image store, as robot deploy. */
  const podmanPull = (): Promise<RunResult> =>
    clients.tryPodman(`pull-${++pulls}`, ['pull', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('anonymous'),
      '--creds', creds(deploy), image()]);
  /** skopeo copy of team/debian:12 into a fresh OCI layout, as robot deploy. */
  const skopeoCopy = (): Promise<RunResult> =>
    clients.trySkopeo(['copy', '--quiet', '--src-tls-verify=false', '--src-creds', creds(deploy), `docker://${image()}`, `oci:${join(work, `pulled-${++pulls}`)}:debian`]);
  /** skopeo inspect (manifest and config) of team/debian:12, as robot deploy. */
  const skopeoInspect = (): Promise<RunResult> =>
    clients.trySkopeo(['inspect', '--tls-verify=false', '--creds', creds(deploy), `docker://${image()}`]);

  /** All three pull, each in its own way. */
  async function allPull(why: string): Promise<void> {
    assertSucceeded(await podmanPull(), `podman pull (${why})`);
    assertSucceeded(await skopeoCopy(), `skopeo copy (${why})`);
    assertSucceeded(await skopeoInspect(), `skopeo inspect (${why})`);
  }

  /**
   * What podman 4.3 and skopeo 1.9 print for a pull the policy refuses, after "Error: " or in level=fatal msg="…":
   * "reading manifest 12 in …/team/debian: denied: team/debian@sha256:… has 1 vulnerability at or above HIGH
   * (DERIVED-zlib-1_1.2.13.dfsg-1+deb12u1 CRITICAL in zlib1g 1:1.2.13.dfsg-1), and project team's vulnerability
   * policy refuses its pulls: pull a fixed image, or ask a maintainer of team to allowlist what does not apply (berth
   * policy allow team <ID> --reason …) or to change the policy"; both read the error body of the manifest GET.
   * (skopeo inspect puts "Error parsing image name …" before the same text.)
   */
  const refusedByPolicy = (): RegExp => new RegExp(`denied: team/debian@${digest} has 1 vulnerability at or above HIGH `
    + `\\(${literal(zlibId)} CRITICAL in zlib1g 1:1\\.2\\.13\\.dfsg-1\\), and project team's vulnerability policy refuses its pulls: `
    + `.*\\(berth policy allow team <ID> --reason …\\)`);

  async function allRefused(pattern: RegExp, why: string): Promise<void> {
    assertFailed(await podmanPull(), pattern, `podman pull (${why})`);
    assertFailed(await skopeoCopy(), pattern, `skopeo copy (${why})`);
    assertFailed(await skopeoInspect(), pattern, `skopeo inspect (${why})`);
  }

  before(async () => {
    work = makeTempDir('scanning-policy');
    clients = new SandboxedClients(work);
    feed = mkdtempSync(join(tmpdir(), 'berth-policy-feed-'));
    mkdirSync(join(feed, 'Debian'));
    writeFileSync(join(feed, 'Debian', 'all.zip'), allZip(records.values()));
    berth = await startBerthProcess({ env: { BERTH_ADMIN_PASSWORD: adminPassword, BERTH_SCAN_FEED: feed } });
    adminApi = new AdminApi(berth.url, admin.username, admin.password);

    await adminApi.createProject('team', false);
    await adminApi.createUser({ ...maintainer, email: 'mia@example.org' });
    await adminApi.setMember('team', { kind: 'user', name: maintainer.username, role: 'maintainer' });
    ci = await adminApi.createRobot({ name: 'ci', permissions: [{ project: 'team', actions: ['pull', 'push'] }] });
    deploy = await adminApi.createRobot({ name: 'deploy', permissions: [{ project: 'team', actions: ['pull'] }] });

    const layout = join(work, 'layout');
    digest = (await buildUmociImage(layout, 'debian', { files: filesOf(join(scanFixtures, 'inventory/debian/bookworm-12.15-minbase')), architecture: 'amd64', os: 'linux' })).digest;
    await clients.skopeo(['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', creds(ci), `oci:${layout}:debian`, `docker://${image()}`]);
    // Scanned on push; the scan has Berth read the Debian advisories, whose matching brings the CRITICAL finding.
    await eventually('the scan of team/debian:12 with its CRITICAL finding', async () => {
      const report = await adminApi.expect<Report>(200, 'GET', '/api/v1/vulnerabilities?repository=team/debian&reference=12');
      return report.status === 'done' && report.summary.critical > 0 ? report : undefined;
    }, { attempts: 600, intervalMs: 200 });
  });

  after(() => cleanUp('the scanning policy e2e tests', [
    () => berth?.stop(),
    () => { if (berth) removeDataDir(berth.dataDir); },
    () => removeDir(work),
    () => { if (feed) rmSync(feed, { recursive: true, force: true }); },
  ]));

  it('without a policy podman and skopeo pull; `berth policy show` says nothing is blocked', { timeout }, async () => {
    await allPull('no policy');
    assert.deepEqual(await cliJson<Policy>(maintainer, ['policy', 'show', 'team']),
      { project: 'team', blockSeverity: null, blockUnscanned: false, autoQuarantine: false, updatedBy: null, updatedAt: null });
  });

  it('`berth policy set team --block-severity high`: podman pull, skopeo copy and inspect are refused, naming the advisory and the policy', { timeout }, async () => {
    const set = await cliOk(maintainer, ['policy', 'set', 'team', '--block-severity', 'high']);
    assert.match(set, /^project {10}team\nblock severity {3}high \(pulls of images with a finding at or above high are refused\)\nblock unscanned {2}no\nauto-quarantine {2}no\nupdated {10}\d{4}-\d\d-\d\d \d\d:\d\d by mia\n$/);
    assert.match(await cliOk(maintainer, ['policy', 'show', 'team']), /^block severity {3}high .*\n(.*\n)*allowlist {8}0 entries in force \(berth policy allowlist team\)\n$/m);
    await allRefused(refusedByPolicy(), 'a CRITICAL finding, policy HIGH');
  });

  it('`berth policy allow` needs a reason and a future expiry, and a maintainer may not touch the registry-wide list', { timeout }, async () => {
    const noReason = await berthCli(maintainer, ['policy', 'allow', 'team', zlibId]);
    assert.equal(noReason.code, 1, outputOf(noReason));
    assert.equal(noReason.stderr, 'berth: say why the advisory does not apply with --reason "<text>": it is kept with the entry for whoever reviews the allowlist\n');
    const past = await berthCli(maintainer, ['policy', 'allow', 'team', zlibId, '--reason', 'late', '--expires', '2020-01-01']);
    assert.equal(past.code, 1, outputOf(past));
    assert.match(past.stderr, /^berth: --expires 2020-01-01T00:00:00\.000Z is already past: the entry would never apply/);
    const registryWide = await berthCli(maintainer, ['policy', 'allow', '-', zlibId, '--reason', 'everywhere']);
    assert.equal(registryWide.code, 1, outputOf(registryWide));
    assert.match(registryWide.stderr, /^berth: .*only system administrators/);
    assert.deepEqual(await cliJson<Entry[]>(maintainer, ['policy', 'allowlist', 'team']), []);
  });

  /** How long allowing, then pulling with all three clients, took here: the short-lived entry below outlives it well. */
  let allowAndPullMs = 0;

  it('`berth policy allow team <ID> --reason … --expires <a date>` lets both pull; `berth policy disallow` takes it back', { timeout }, async () => {
    const started = Date.now();
    const date = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const said = await cliOk(maintainer, ['policy', 'allow', 'team', zlibId, '--reason', 'the image never inflates untrusted data', '--expires', date]);
    const [, id] = /^Allowed .* in team until .* UTC \(entry (\d+)\): its findings no longer refuse pulls\. Remove it with "berth policy disallow team \1"\.\n$/.exec(said) ?? [];
    assert.ok(id, said);
    await allPull('allowlisted until a later date');
    allowAndPullMs = Date.now() - started;

    const entries = await cliJson<Entry[]>(maintainer, ['policy', 'allowlist', 'team']);
    assert.deepEqual(entries.map((entry) => [entry.id, entry.project, entry.advisory, entry.expiresAt, entry.expired, entry.createdBy]),
      [[Number(id), 'team', zlibId, `${date}T00:00:00.000Z`, false, maintainer.username]]);
    assert.match(await cliOk(maintainer, ['policy', 'allowlist', 'team']),
      new RegExp(`^ID +ADVISORY +EXPIRES +BY +CREATED +REASON\\n${id} +${literal(zlibId)} +${date} 00:00 +mia +[-\\d: ]+ +the image never inflates untrusted data\\n$`));

    assert.equal(await cliOk(maintainer, ['policy', 'disallow', 'team', id!]), `Removed allowlist entry ${id} in team.\n`);
    await allRefused(refusedByPolicy(), 'the allowlist entry removed');
  });

  it('the registry-wide allowlist ("-"), kept by system administrators, lets them pull too', { timeout }, async () => {
    const entry = await cliJson<Entry>(admin, ['policy', 'allow', '-', 'CVE-2026-27171', '--reason', 'accepted everywhere']);
    assert.deepEqual([entry.project, entry.advisory, entry.expiresAt], [null, 'CVE-2026-27171', null]);
    // Allowed by a CVE the advisory names: its upstream ids are its aliases.
    assertSucceeded(await podmanPull(), 'podman pull (allowlisted registry-wide by CVE)');
    assertSucceeded(await skopeoCopy(), 'skopeo copy (allowlisted registry-wide by CVE)');
    assert.deepEqual((await cliJson<Entry[]>(maintainer, ['policy', 'allowlist', '-'])).map((item) => item.id), [entry.id]);
    assert.equal(await cliOk(admin, ['policy', 'disallow', '-', String(entry.id)]), `Removed allowlist entry ${entry.id} in every project (the registry-wide allowlist).\n`);
    assertFailed(await skopeoCopy(), refusedByPolicy(), 'skopeo copy (the registry-wide entry removed)');
  });

  it('an entry expiring in seconds (`--expires` with an ISO time) lets both pull, and after it expires they are refused again', { timeout }, async () => {
    // The entry must outlive one CLI run and the pulls: three times what they took above, and at least 20 s.
    const expiresAt = new Date(Date.now() + Math.max(20_000, 3 * allowAndPullMs));
    const entry = await cliJson<Entry>(maintainer, ['policy', 'allow', 'team', zlibId, '--reason', 'for a moment', '--expires', expiresAt.toISOString()]);
    assert.equal(entry.expiresAt, expiresAt.toISOString());
    await allPull('allowlisted for a moment');

    await sleep(expiresAt.getTime() - Date.now() + 1_000);
    await allRefused(refusedByPolicy(), 'the allowlist entry expired');
    const listed = await cliJson<Entry[]>(maintainer, ['policy', 'allowlist', 'team']);
    assert.deepEqual(listed.map((item) => [item.id, item.expired]), [[entry.id, true]]);
    assert.match(await cliOk(maintainer, ['policy', 'allowlist', 'team']), / \(expired\) /);
  });

  it('`berth policy set team --block-severity none` lifts the block', { timeout }, async () => {
    const policy = await cliJson<Policy>(maintainer, ['policy', 'set', 'team', '--block-severity', 'none']);
    assert.deepEqual([policy.blockSeverity, policy.autoQuarantine], [null, false]);
    await allPull('policy none');
  });

  it('with --auto-quarantine, a new CRITICAL advisory read by `berth advisories refresh` quarantines the image, and pulls are refused with the reason', { timeout }, async () => {
    const policy = await cliJson<Policy>(maintainer, ['policy', 'set', 'team', '--auto-quarantine']);
    assert.deepEqual([policy.blockSeverity, policy.blockUnscanned, policy.autoQuarantine], [null, false, true], 'only what was given changed');
    const before = await cliJson<Feed[]>(admin, ['advisories']);

    // Published as OSV publishes: the record's file, and its line at the top of modified_id.csv (all.zip is read once).
    const modified = new Date(Math.max(Date.now(), Date.parse('2026-12-03T00:00:01Z'))).toISOString().replace(/\.\d+Z$/, 'Z');
    const advisory = derivedRecord('DERIVED-pcre2-10.42-1+deb12u2', {
      id: newId, modified, published: modified, upstream: ['CVE-2026-90001'], severity: criticalVector,
      summary: 'pcre2: a new critical vulnerability, published after the image was scanned',
    });
    writeFileSync(join(feed, 'Debian', `${newId}.json`), advisory.bytes);
    writeFileSync(join(feed, 'Debian', 'modified_id.csv'), modifiedIdCsv([...records.values(), advisory]));
    assert.equal((await berthCli(maintainer, ['advisories', 'refresh'])).code, 1, 'a maintainer may not refresh the feed');

    const feeds = await cliJson<Feed[]>(admin, ['advisories', 'refresh', '--wait']);
    assert.deepEqual(feeds.map((item) => [item.source, item.records, item.error]), [['Debian', before[0]!.records + 1, null]]);
    // The refresh matched the image again before its job ended: the quarantine is there already.
    const quarantines = await cliJson<Quarantine[]>(maintainer, ['quarantine', '--project', 'team']);
    const reason = `a rescan found critical vulnerabilities (${newId}) and project team's policy quarantines such images`;
    assert.deepEqual(quarantines.map((item) => [item.repository, item.digest, item.reason]), [['team/debian', digest, reason]]);
    const critical = (await cliJson<{ id: string; severity: string }[]>(maintainer, ['vulns', 'team/debian:12', '--severity', 'critical']))
      .map((row) => `${row.id} ${row.severity}`).sort();
    assert.deepEqual(critical, [`${newId} critical`, `${zlibId} critical`]);

    // podman: Error: … reading manifest 12 in …/team/debian: denied: team/debian@sha256:… is quarantined: a rescan …
    await allRefused(new RegExp(`denied: team/debian@${digest} is quarantined: ${literal(reason)}`), 'quarantined by the rescan');
  });
});

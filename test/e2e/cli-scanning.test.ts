/*
 * `berth scan`, `berth vulns` and `berth advisories`, run as a user would (bin/berth.js in a child process) against a
 * real `berth serve` with access control on, scanning on request only, and its advisories read from a feed folder
 * laid out as OSV's bucket (Debian/all.zip zipped from the committed records). The images are built by umoci from
 * the real Debian 12.15 root of the fixtures and pushed by skopeo: one image, and an index of two platforms.
 *
 * The committed records carry the urgency of their Debian changelog entry only in `database_specific`; the feed puts
 * it where Debian's OSV records carry the security tracker's urgency, so the findings come in two severities (high
 * and medium) for the severity filter and --fail-on to tell apart.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { basic, pushImage } from '../support/access-fixtures.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { runBerthCli } from '../support/berth-cli.js';
import { buildUmociImage, ociIndexType, readLayoutIndex, type Descriptor } from '../support/clients/oci-layout.js';
import { makeTempDir, removeDir, sha256Digest } from '../support/clients/run.js';
import { skopeoPush } from '../support/clients/skopeo.js';

const adminPassword = 'admin-password-1';
const admin = { BERTH_USERNAME: 'admin', BERTH_PASSWORD: adminPassword };
const timeout = 120_000;
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'scanning');
const debianRoot = join(fixtures, 'inventory/debian/bookworm-12.15-minbase');
const expected = JSON.parse(readFileSync(join(fixtures, 'osv/expected/debian-bookworm-12.15-minbase.json'), 'utf8')) as {
  findings: { id: string; binary: string; installed: string; fixed: string | null }[];
};
const recordsDir = join(fixtures, 'osv/osv/debian');

/** A committed record with its changelog urgency as the tracker's (`affected[].ecosystem_specific.urgency`). */
function withUrgency(file: string): { id: string; urgency: string; bytes: Buffer } {
  const record = JSON.parse(readFileSync(join(recordsDir, file), 'utf8')) as {
    id: string; database_specific: { changelog_urgency: string }; affected: { ecosystem_specific?: Record<string, unknown> }[];
  };
  const urgency = record.database_specific.changelog_urgency;
  for (const affected of record.affected) affected.ecosystem_specific = { ...affected.ecosystem_specific, urgency };
  return { id: record.id, urgency, bytes: Buffer.from(JSON.stringify(record)) };
}
const records = readdirSync(recordsDir).map((file) => ({ file, ...withUrgency(file) }));
const urgencyOf = new Map(records.map((record) => [record.id, record.urgency]));
/** "id package installed fixed severity" per expected finding: severities as Debian rates them. */
const wanted = expected.findings.map((finding) => `${finding.id} ${finding.binary} ${finding.installed} ${finding.fixed} ${urgencyOf.get(finding.id)}`).sort();
const wantedAt = (severity: string): string[] => wanted.filter((line) => line.endsWith(` ${severity}`));

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }
interface Row {
  id: string; aliases: string[]; severity: string; package: string; installedVersion: string; fixedVersion: string | null;
  platform: string | null; platformDigest: string;
}
interface Report {
  digest: string; status: string;
  platforms: { digest: string; platform?: string; status: string; sbom?: { digest: string } | null }[];
  vulnerabilities: {
    id: string; aliases: string[]; summary?: string; severity: string; score?: number; package: string; version: string; fixedVersion: string | null;
    kind: string; ecosystem: string; sourcePackage?: string; path: string; purl: string; scanner?: string; platforms: string[];
  }[];
}

/** Every file of a folder, path inside it -> bytes: the files umoci puts in the image's root. */
function filesOf(root: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile())
    .map((entry) => [relative(root, join(entry.parentPath, entry.name)), readFileSync(join(entry.parentPath, entry.name))]));
}

/** Writes an image index over two of the layout's images into it, under `tag`, for `skopeo copy --all`. */
function addIndex(layout: string, tag: string, children: readonly [Descriptor, string][]): void {
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: ociIndexType,
    manifests: children.map(([child, architecture]) => ({ mediaType: child.mediaType, digest: child.digest, size: child.size, platform: { architecture, os: 'linux' } })),
  }));
  const digest = sha256Digest(bytes);
  writeFileSync(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  const index = readLayoutIndex(layout);
  index.manifests.push({ mediaType: ociIndexType, digest, size: bytes.length, annotations: { 'org.opencontainers.image.ref.name': tag } });
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
}

describe('berth CLI: scan, vulns and advisories', { timeout: 600_000 }, () => {
  let berth: BerthProcess;
  let feed: string;
  let work: string;
  let configDir: string;

  const cli = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    runBerthCli([...args, '--url', berth.url], { configDir, env, timeoutMs: timeout });
  const ok = (run: Run): Run => {
    assert.equal(run.code, 0, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
    return run;
  };
  const fails = (run: Run, code: number, message: RegExp): Run => {
    assert.equal(run.code, code, `expected exit ${code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
    assert.match(run.stderr, message);
    return run;
  };
  const api = async <T>(query: string, authorization?: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${berth.url}/api/v1/vulnerabilities?${query}`, { headers: authorization ? { authorization } : {} });
    return { status: response.status, body: await response.json() as T };
  };
  const found = (rows: readonly Row[]): string[] => rows.map((row) => `${row.id} ${row.package} ${row.installedVersion} ${row.fixedVersion} ${row.severity}`).sort();
  const rowsOf = (run: Run): Row[] => JSON.parse(ok(run).stdout) as Row[];

  before(async () => {
    feed = mkdtempSync(join(tmpdir(), 'berth-feed-'));
    mkdirSync(join(feed, 'Debian'));
    writeFileSync(join(feed, 'Debian', 'all.zip'), zipSync(Object.fromEntries(records.map((record) => [record.file, record.bytes]))));
    berth = await startBerthProcess({ env: { BERTH_ADMIN_PASSWORD: adminPassword, BERTH_SCAN_FEED: feed, BERTH_SCAN_ON_PUSH: 'false' } });
    configDir = mkdtempSync(join(tmpdir(), 'berth-cli-config-'));
    for (const [name, isPublic] of [['team', true], ['vault', false]] as const) {
      const created = await fetch(`${berth.url}/api/v1/projects`, {
        method: 'POST', headers: { authorization: basic('admin', adminPassword), 'content-type': 'application/json' }, body: JSON.stringify({ name, public: isPublic }),
      });
      assert.equal(created.status, 201, await created.text());
    }
    work = makeTempDir('cli-scanning');
    const layout = join(work, 'layout');
    const files = filesOf(debianRoot);
    const amd64 = await buildUmociImage(layout, 'amd64', { files, architecture: 'amd64', os: 'linux' });
    const arm64 = await buildUmociImage(layout, 'arm64', { files, architecture: 'arm64', os: 'linux' });
    addIndex(layout, 'multi', [[amd64, 'amd64'], [arm64, 'arm64']]);
    const creds = ['--dest-creds', `admin:${adminPassword}`];
    await skopeoPush(`oci:${layout}:amd64`, `docker://${berth.hostPort}/team/debian:12`, creds);
    await skopeoPush(`oci:${layout}:amd64`, `docker://${berth.hostPort}/vault/debian:12`, creds);
    await skopeoPush(`oci:${layout}:multi`, `docker://${berth.hostPort}/team/multi:1`, ['--all', ...creds]);
    // 64 random bytes as an uncompressed layer: not a tar, so its scan fails.
    await pushImage(berth.url, 'team/broken', '1', basic('admin', adminPassword));
  });
  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    for (const dir of [feed, configDir]) if (dir) rmSync(dir, { recursive: true, force: true });
    if (work) removeDir(work);
  });

  it('vulns says an image pushed with scan-on-push off is not scanned, and --fail-on refuses to vouch for it', { timeout }, async () => {
    const text = ok(await cli(['vulns', 'team/debian:12'])).stdout;
    assert.match(text, /^team\/debian@sha256:[0-9a-f]{64} {2}not scanned$/m);
    assert.match(text, /^Not scanned yet: run "berth scan team\/debian:12 --wait"\.$/m);
    fails(await cli(['vulns', 'team/debian:12', '--fail-on', 'high']), 1, /^berth: team\/debian:12 is not scanned: --fail-on needs a finished scan; run "berth scan team\/debian:12 --wait --fail-on high"\n$/);
  });

  it('scan asks for credentials, since asking for a scan needs the right to push', { timeout }, async () => {
    fails(await cli(['scan', 'team/debian:12']), 1, /^berth: no user for http:\/\/127\.0\.0\.1:\d+: run "berth login/);
  });

  it('scan --wait ends done with the ten findings the fixtures expect, the advisories read meanwhile', { timeout }, async () => {
    const run = ok(await cli(['scan', 'team/debian:12', '--wait', '--json'], admin));
    assert.deepEqual(found(JSON.parse(run.stdout) as Row[]), wanted);
    // Progress went to standard error as plain lines (not a terminal), and nothing else did.
    assert.doesNotMatch(run.stderr, /\r|\u001b/);
    for (const line of run.stderr.split('\n').filter((text) => text !== '')) {
      assert.match(line, /^team\/debian:12: (queued|scanning|reading the Debian advisories)$/);
    }
    const report = await api<Report>('repository=team/debian&reference=12');
    assert.equal(report.body.status, 'done');
  });

  it('vulns --json is the API\'s findings, one object per platform with the fixed field names; --report-json the API\'s report', { timeout }, async () => {
    // The SBOM is attached just after the scan, by a job of its own: the report is compared once it names it.
    let { status, body } = await api<Report>('repository=team/debian&reference=12');
    for (let attempt = 0; attempt < 600 && !body.platforms[0]?.sbom; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ({ status, body } = await api<Report>('repository=team/debian&reference=12'));
    }
    assert.equal(status, 200);
    const rows = JSON.parse(ok(await cli(['vulns', 'team/debian:12', '--json'])).stdout) as Row[];
    assert.deepEqual(rows, body.vulnerabilities.map((vulnerability) => ({
      id: vulnerability.id, aliases: vulnerability.aliases, severity: vulnerability.severity.toLowerCase(), score: vulnerability.score ?? null,
      package: vulnerability.package, installedVersion: vulnerability.version, fixedVersion: vulnerability.fixedVersion,
      sourcePackage: vulnerability.sourcePackage ?? null, kind: vulnerability.kind, ecosystem: vulnerability.ecosystem, path: vulnerability.path,
      purl: vulnerability.purl, summary: vulnerability.summary ?? null, scanner: vulnerability.scanner ?? 'berth', platform: body.platforms[0]!.platform ?? null,
      platformDigest: body.digest,
    })));
    assert.equal(rows.length, 10);
    assert.deepEqual(JSON.parse(ok(await cli(['vulns', 'team/debian:12', '--report-json'])).stdout), body);
    assert.deepEqual(JSON.parse(ok(await cli(['vulns', `team/debian@${body.digest}`, '--report-json'])).stdout), { ...body, reference: body.digest });
  });

  it('vulns prints a header with digest, status, distro and counts, then one row per finding', { timeout }, async () => {
    const { body } = await api<Report>('repository=team/debian&reference=12');
    const lines = ok(await cli(['vulns', 'team/debian:12'])).stdout.split('\n');
    assert.equal(lines[0], `team/debian@${body.digest}  done  Debian GNU/Linux 12 (bookworm)  88 packages  critical 0  high 7  medium 3  low 0  other 0  (10 fixable)`);
    assert.equal(lines[1], '');
    assert.match(lines[2]!, /^ID\s+SEVERITY\s+PACKAGE\s+INSTALLED\s+FIXED$/);
    const rows = lines.slice(3).filter((line) => line !== '');
    assert.equal(rows.length, 10);
    for (const vulnerability of body.vulnerabilities) {
      const cells = [vulnerability.id, vulnerability.severity, vulnerability.package, vulnerability.version, vulnerability.fixedVersion].map((cell) => cell!.replace(/[.+]/g, '\\$&'));
      assert.ok(rows.some((row) => new RegExp(`^${cells.join('\\s+')}$`).test(row)), `a row for ${cells.join(' ')} in\n${rows.join('\n')}`);
    }
  });

  it('vulns filters by --severity, --fixable and --package as the API does', { timeout }, async () => {
    const high = rowsOf(await cli(['vulns', 'team/debian:12', '--severity', 'high', '--json']));
    assert.deepEqual(found(high), wantedAt('high'));
    assert.equal(high.length, 7);
    assert.deepEqual(rowsOf(await cli(['vulns', 'team/debian:12', '--severity', 'HIGH', '--json'])), high);
    assert.deepEqual(found(rowsOf(await cli(['vulns', 'team/debian:12', '--severity', 'medium', '--json']))), wanted, 'medium and above: all ten');
    assert.match(ok(await cli(['vulns', 'team/debian:12', '--severity', 'critical'])).stdout, /^No vulnerabilities match the filters\.$/m);
    // Every finding of this image has a fixed version (the fixtures say so): --fixable keeps all ten.
    assert.deepEqual(found(rowsOf(await cli(['vulns', 'team/debian:12', '--fixable', '--json']))), wanted);
    const pam = rowsOf(await cli(['vulns', 'team/debian:12', '--package', 'libpam', '--json']));
    assert.deepEqual(found(pam), wanted.filter((line) => line.split(' ')[1]!.includes('libpam')));
    assert.equal(pam.length, 4);
    const apt = await api<Report>('repository=team/debian&reference=12&package=apt&severity=medium&fixable=true');
    assert.deepEqual(JSON.parse(ok(await cli(['vulns', 'team/debian:12', '--package', 'apt', '--severity', 'medium', '--fixable', '--report-json'])).stdout), apt.body);
    const refused = await cli(['vulns', 'team/debian:12', '--severity', 'severe']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /give one of critical, high, medium, low, negligible, unknown/);
  });

  it('vulns --fail-on exits 3 at or above the level, 0 below it; the findings are printed either way', { timeout }, async () => {
    const failed = fails(await cli(['vulns', 'team/debian:12', '--fail-on', 'high']), 3, /^berth: 7 findings are at or above HIGH in team\/debian:12\n$/);
    assert.match(failed.stdout, /^ID\s+SEVERITY/m);
    assert.equal(JSON.parse(fails(await cli(['vulns', 'team/debian:12', '--fail-on', 'medium', '--json']), 3, /10 findings are at or above MEDIUM/).stdout).length, 10);
    ok(await cli(['vulns', 'team/debian:12', '--fail-on', 'critical']));
    // Only the findings listed count: apt's are medium.
    ok(await cli(['vulns', 'team/debian:12', '--fail-on', 'high', '--package', 'apt']));
    assert.match(ok(await cli(['vulns', '--help'])).stdout, /Exit codes:\n {2}0 .*\n {2}1 .*\n.*\n {2}3 {2}--fail-on/);
  });

  it('scan queues each platform of an index; --wait then shows the findings per platform', { timeout }, async () => {
    const queued = ok(await cli(['scan', 'team/multi:1'], admin)).stdout;
    assert.match(queued, /^Queued scans of 2 platforms of team\/multi@sha256:[0-9a-f]{64}:$/m);
    // The job runner may have started a platform's scan before the answer was written.
    assert.match(queued, /^ {2}linux\/amd64 {2}sha256:[0-9a-f]{64} {2}(queued|scanning|done)$/m);
    assert.match(queued, /^ {2}linux\/arm64 {2}sha256:[0-9a-f]{64} {2}(queued|scanning|done)$/m);
    const lines = fails(await cli(['scan', 'team/multi:1', '--wait', '--fail-on', 'high'], admin), 3, /^berth: 7 findings are at or above HIGH in team\/multi:1$/m)
      .stdout.split('\n');
    assert.match(lines[0]!, /^team\/multi@sha256:[0-9a-f]{64} {2}index of 2 platforms {2}done {2}critical 0 {2}high 7 {2}medium 3 {2}low 0 {2}other 0 {2}\(10 fixable\)$/);
    assert.match(lines[2]!, /^PLATFORM\s+DIGEST\s+STATUS\s+DISTRO\s+PACKAGES\s+CRITICAL\s+HIGH\s+MEDIUM\s+LOW\s+OTHER$/);
    assert.match(lines[3]!, /^linux\/amd64\s+sha256:[0-9a-f]{64}\s+done\s+Debian GNU\/Linux 12 \(bookworm\)\s+88\s+0\s+7\s+3\s+0\s+0$/);
    assert.match(lines[4]!, /^linux\/arm64\s+sha256:[0-9a-f]{64}\s+done\s+Debian GNU\/Linux 12 \(bookworm\)\s+88\s+0\s+7\s+3\s+0\s+0$/);
    assert.match(lines[6]!, /^ID\s+SEVERITY\s+PACKAGE\s+INSTALLED\s+FIXED\s+PLATFORMS$/);
    const rows = lines.slice(7).filter((line) => line !== '');
    assert.equal(rows.length, 10);
    assert.ok(rows.every((row) => row.endsWith('  linux/amd64, linux/arm64')), rows.join('\n'));
    const json = JSON.parse(ok(await cli(['vulns', 'team/multi:1', '--json'])).stdout) as Row[];
    assert.equal(json.length, 20);
    for (const platform of ['linux/amd64', 'linux/arm64']) assert.deepEqual(found(json.filter((row) => row.platform === platform)), wanted);
  });

  it('scan --wait of an image whose layer is not a tar exits 1 with the reason and what to do', { timeout }, async () => {
    const run = fails(await cli(['scan', 'team/broken:1', '--wait'], admin), 1,
      /^berth: the scan of team\/broken:1 failed \(not a readable tar archive: .+ \(layer 1 of 1, sha256:[0-9a-f]{64}\)\): if the image is intact, run "berth scan team\/broken:1 --wait" again; the registry's log has the details$/m);
    assert.match(run.stdout, /^team\/broken@sha256:[0-9a-f]{64} {2}failed: /);
    assert.match(run.stdout, /^The scan failed \(see the reason above\)/m);
  });

  it('a reference that does not exist, or cannot be seen, prints the API\'s message and exits 1', { timeout }, async () => {
    const missing = await api<{ errors: { message: string }[] }>('repository=team/debian&reference=nope');
    assert.equal(missing.status, 404);
    fails(await cli(['vulns', 'team/debian:nope']), 1, new RegExp(`^berth: ${missing.body.errors[0]!.message}\\n$`));
    fails(await cli(['scan', 'team/debian:nope', '--wait'], admin), 1, new RegExp(`^berth: ${missing.body.errors[0]!.message}\\n$`));
    fails(await cli(['vulns', 'vault/debian:12']), 1, /^berth: there is no repository "vault\/debian" you may see: check the name, or sign in\n$/);
    // The same image as team/debian, scanned above: a scan belongs to the digest, wherever it is stored.
    assert.match(ok(await cli(['vulns', 'vault/debian:12'], admin)).stdout, /^vault\/debian@sha256:[0-9a-f]{64} {2}done {2}.* {2}high 7 /);
    fails(await cli(['vulns', 'team/debian:']), 1, /is not an image reference/);
  });

  it('advisories lists the Debian feed with its records and refresh time', { timeout }, async () => {
    const lines = ok(await cli(['advisories'])).stdout.split('\n');
    assert.match(lines[0]!, /^SOURCE\s+RECORDS\s+REFRESHED\s+NEWEST\s+ERROR$/);
    assert.match(lines[1]!, /^Debian\s+\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+-$/);
    const feeds = JSON.parse(ok(await cli(['advisories', '--json'])).stdout) as { source: string; records: number; error: string | null }[];
    assert.deepEqual(feeds.map((item) => [item.source, item.error]), [['Debian', null]]);
    assert.ok(feeds[0]!.records > 0);
  });
});

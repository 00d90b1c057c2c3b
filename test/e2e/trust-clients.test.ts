/**
 * Signature trust (issue 14) as the real clients meet it: one `berth serve` child process with access control on, a
 * maintainer (push rights) who sets the project's trust with the `berth` CLI and signs with the real cosign (Debian
 * trixie's 2.5, key pairs from `cosign generate-key-pair`), and a guest (pull only) who pulls with podman, skopeo
 * (copy and inspect) and containerd's ctr. The same rules over plain HTTP, with signatures made in-test, are in
 * test/protocol/trust-cosign.test.ts; this file checks that real signatures pass, that each client stops on the
 * ones that must not, and what each tells its user.
 *
 * The tests run in order: the mode is set to enforce before anything is signed, so that cosign's own reads of the
 * unsigned images (it reads the manifest it signs) go through the push-rights exemption; audit comes last.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdminApi, basicAuth } from '../support/admin-api.js';
import { runBerthCli } from '../support/berth-cli.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { cleanUp } from '../support/cleanup.js';
import { startContainerd, type Containerd } from '../support/clients/containerd.js';
import { certifyCosignKey, CosignClient, cosignMissing, type CosignKeyPair } from '../support/clients/cosign.js';
import { addIndexToLayout, buildUmociImage, type Descriptor } from '../support/clients/oci-layout.js';
import { makeTempDir, removeDir, runCommand, type RunResult } from '../support/clients/run.js';
import { SandboxedClients } from '../support/clients/sandboxed-clients.js';
import { tool } from '../support/clients/tools.js';
import { TestPki } from '../support/signature-pki.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertSucceeded, assertFailed, literal } from '../support/clients/outcomes.js';

const timeout = 300_000;
const adminPassword = 'trust-clients-admin-password-1';
const admin = { username: 'admin', password: adminPassword };
const maintainer = { username: 'mia', password: 'mia-maintainer-password' };
const guest = { username: 'gus', password: 'gus-guest-password-123' };
/** The predicate type cosign ≥2.6 `sign --new-bundle-format` uses; 2.5 makes the same bundle with `attest`. */
const cosignSignPredicate = 'https://sigstore.dev/cosign/sign/v1';

/** What `berth trust status --json` prints. */
interface SignatureStatus {
  readonly repository: string;
  readonly digest: string;
  readonly mode: string;
  readonly verified: boolean;
  readonly basis: string;
  readonly index: string | null;
  readonly signatures: readonly {
    readonly artifact: string; readonly via: string; readonly tool: string; readonly format: string; readonly valid: boolean;
    readonly signer: string | null; readonly role: string | null; readonly reason: string | null; readonly failure: string | null;
  }[];
}

interface ProjectTrust {
  readonly project: string;
  readonly mode: string;
  readonly updatedBy: string | null;
  readonly keys: readonly { readonly name: string; readonly kind: string; readonly hint: string; readonly createdBy: string }[];
}

describe('signature trust with cosign, podman, skopeo and containerd against a real Berth process', { timeout: 1_200_000, skip: cosignMissing }, () => {
  let berth: BerthProcess;
  let work: string;
  let clients: SandboxedClients;
  let containerd: Containerd;
  let cosign: CosignClient;
  let adminApi: AdminApi;
  let release: CosignKeyPair;
  let stranger: CosignKeyPair;
  /** Each image's manifest digest, by its tag in team/app (and `multi`, the index in team/multi). */
  const images: Record<string, Descriptor> = {};

  const ref = (tag: string, repository = 'team/app'): string => `${berth.hostPort}/${repository}:${tag}`;
  const digestOf = (tag: string): string => images[tag]!.digest;
  const creds = (who: { username: string; password: string }): string => `${who.username}:${who.password}`;

  /** Runs `berth <args>` as a user would: --url, -u and --password-stdin, its own config folder, none of our BERTH_*. */
  const berthCli = async (as: { username: string; password: string }, args: readonly string[]): Promise<RunResult> => {
    const run = await runBerthCli(['--url', berth.url, '-u', as.username, '--password-stdin', ...args],
      { configDir: join(work, `berth-cli-${as.username}`), input: `${as.password}\n`, timeoutMs: timeout });
    return { ...run, command: `berth ${args.join(' ')} (as ${as.username})` };
  };
  const cliOk = async (as: { username: string; password: string }, args: readonly string[]): Promise<string> =>
    assertSucceeded(await berthCli(as, args), `berth ${args.join(' ')}`).stdout;
  /** `berth trust status REF --json`, as the guest. */
  const status = async (reference: string): Promise<SignatureStatus> =>
    JSON.parse(await cliOk(guest, ['trust', 'status', reference, '--json'])) as SignatureStatus;

  /** Numbers fresh destinations, so that every pull below really fetches. */
  let pulls = 0;
  /** podman pull into a fresh private image store, as the guest. */
  const podmanPull = (image: string): Promise<RunResult> =>
    clients.tryPodman(`pull-${++pulls}`, ['pull', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('anonymous'), '--creds', creds(guest), image]);
  /** skopeo copy into a fresh OCI layout, as the guest. */
  const skopeoCopy = (image: string): Promise<RunResult> =>
    clients.trySkopeo(['copy', '--quiet', '--src-tls-verify=false', '--src-creds', creds(guest), `docker://${image}`, `oci:${join(work, `pulled-${++pulls}`)}:image`]);
  /** skopeo inspect (manifest and config), as the guest. */
  const skopeoInspect = (image: string): Promise<RunResult> =>
    clients.trySkopeo(['inspect', '--tls-verify=false', '--creds', creds(guest), `docker://${image}`]);
  /**
   * ctr images pull, as the guest. containerd resolves a reference with HEAD on every pull, so a pull repeated after
   * a change of mode asks the registry again even though the content store already holds the bytes.
   */
  const ctrPull = (image: string): Promise<RunResult> =>
    runCommand(tool('ctr'), ['-a', containerd.socket, 'images', 'pull', '--plain-http', '--snapshotter', 'native', '--user', creds(guest), image]);

  /** podman, skopeo copy, skopeo inspect and ctr all pull `image` as the guest. */
  async function allPull(image: string, why: string): Promise<void> {
    assertSucceeded(await podmanPull(image), `podman pull ${image} (${why})`);
    assertSucceeded(await skopeoCopy(image), `skopeo copy ${image} (${why})`);
    assertSucceeded(await skopeoInspect(image), `skopeo inspect ${image} (${why})`);
    assertSucceeded(await ctrPull(image), `ctr images pull ${image} (${why})`);
  }

  /**
   * All four are refused. podman 4.3 and skopeo 1.9 read the body of the refused manifest GET and print Berth's
   * message after "denied: "; ctr 1.6 resolves with HEAD, which has no body, so it can only say 403 Forbidden.
   */
  async function allRefused(image: string, reason: RegExp, why: string): Promise<void> {
    assertFailed(await podmanPull(image), reason, `podman pull ${image} (${why})`);
    assertFailed(await skopeoCopy(image), reason, `skopeo copy ${image} (${why})`);
    assertFailed(await skopeoInspect(image), reason, `skopeo inspect ${image} (${why})`);
    assertFailed(await ctrPull(image), /403 Forbidden/, `ctr images pull ${image} (${why})`);
  }

  /** Berth's refusal of team/app:<tag> under enforce, as podman and skopeo print it, with what was found. */
  const refusal = (tag: string, found: string): RegExp => new RegExp(`denied: project team only serves images signed by a key it trusts, `
    + `and team/app@${literal(digestOf(tag))} is refused: ${found}\\. Sign it \\(cosign sign --key KEY team/app@${literal(digestOf(tag))}, or notation sign\\) `
    + `with a key or certificate the project trusts, or ask a project maintainer to trust yours \\(berth trust add-key team --cosign-key KEY\\.pub\\)`);

  before(async () => {
    work = makeTempDir('trust-clients');
    clients = new SandboxedClients(work);
    berth = await startBerthProcess({ env: { BERTH_ADMIN_PASSWORD: adminPassword } });
    adminApi = new AdminApi(berth.url, admin.username, admin.password);
    await adminApi.createProject('team', false);
    await adminApi.createUser({ ...maintainer, email: 'mia@example.org' });
    await adminApi.createUser({ ...guest, email: 'gus@example.org' });
    await adminApi.setMember('team', { kind: 'user', name: maintainer.username, role: 'maintainer' });
    await adminApi.setMember('team', { kind: 'user', name: guest.username, role: 'guest' });

    // One small real image per case, each with its own content (so its own digest), pushed by the maintainer.
    const layout = join(work, 'layout');
    for (const tag of ['signed', 'unsigned', 'stranger', 'copied', 'referrer', 'bundle', 'expired']) {
      images[tag] = await buildUmociImage(layout, tag, { files: { 'case.txt': `${tag}\n` }, architecture: 'amd64', os: 'linux' });
    }
    const amd64 = await buildUmociImage(layout, 'amd64', { files: { 'arch.txt': 'amd64\n' }, architecture: 'amd64', os: 'linux' });
    const arm64 = await buildUmociImage(layout, 'arm64', { files: { 'arch.txt': 'arm64\n' }, architecture: 'arm64', os: 'linux' });
    images.amd64 = amd64;
    images.arm64 = arm64;
    images.multi = addIndexToLayout(layout, 'multi', [
      { ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
      { ...arm64, platform: { architecture: 'arm64', os: 'linux' } },
    ]).descriptor;
    for (const tag of ['signed', 'unsigned', 'stranger', 'copied', 'referrer', 'bundle', 'expired']) {
      await clients.skopeo(['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', creds(maintainer), `oci:${layout}:${tag}`, `docker://${ref(tag)}`]);
    }
    await clients.skopeo(['copy', '--quiet', '--all', '--dest-tls-verify=false', '--dest-creds', creds(maintainer), `oci:${layout}:multi`, `docker://${ref('v1', 'team/multi')}`]);

    cosign = new CosignClient({ registry: berth.hostPort, credentials: maintainer });
    release = await cosign.generateKeyPair('release');
    stranger = await cosign.generateKeyPair('stranger');
    containerd = await startContainerd();
  });

  after(() => cleanUp('the trust e2e tests', [
    () => containerd?.stop(),
    () => berth?.stop(),
    () => { if (berth) removeDataDir(berth.dataDir); },
    () => cosign?.close(),
    () => removeDir(work),
  ]));

  it('a maintainer sets enforce with `berth trust mode` and trusts the release key with `berth trust add-key`; a guest may not', { timeout }, async () => {
    assert.equal(await cliOk(maintainer, ['trust', 'mode', 'team', 'enforce']), 'team: trust mode enforce, 0 trusted keys.\n');
    const added = await cliOk(maintainer, ['trust', 'add-key', 'team', '--cosign-key', release.publicKeyFile, '--name', 'release']);
    assert.match(added, /^team now trusts cosign key "release" \(sha256 [A-Za-z0-9+/]{43}=\)\.\n$/);

    const shown = JSON.parse(await cliOk(guest, ['trust', 'show', 'team', '--json'])) as ProjectTrust;
    assert.deepEqual([shown.project, shown.mode, shown.updatedBy], ['team', 'enforce', maintainer.username]);
    assert.deepEqual(shown.keys.map((key) => [key.name, key.kind, key.createdBy]), [['release', 'cosign-key', maintainer.username]]);

    const denied = await berthCli(guest, ['trust', 'add-key', 'team', '--cosign-key', stranger.publicKeyFile, '--name', 'mine']);
    assertFailed(denied, /gus may not add trusted keys in project "team"/, 'berth trust add-key as a guest');
    assertFailed(await berthCli(guest, ['trust', 'mode', 'team', 'off']), /gus may not change the trust policy in project "team"/, 'berth trust mode as a guest');
  });

  it('the maintainer signs an unsigned image with cosign while enforce is on; then the guest pulls it with podman, skopeo and ctr', { timeout }, async () => {
    assertFailed(await podmanPull(ref('signed')), refusal('signed', 'it has no signature'), 'podman pull before signing');

    // cosign reads the manifest it signs: the maintainer may, having push rights, although it is not signed yet.
    await cosign.sign(cosign.reference('team/app', digestOf('signed')), release);
    await allPull(ref('signed'), 'signed by the trusted key');

    // The guest's own cosign reads the image and its .sig tag (signature artifacts are always served) and agrees.
    const guestCosign = new CosignClient({ registry: berth.hostPort, credentials: guest });
    try {
      assert.equal((await guestCosign.verify(cosign.reference('team/app', digestOf('signed')), { key: release })).length, 1);
    } finally {
      guestCosign.close();
    }

    const verdict = await status('team/app:signed');
    assert.deepEqual([verdict.repository, verdict.digest, verdict.mode, verdict.verified, verdict.basis], ['team/app', digestOf('signed'), 'enforce', true, 'signed']);
    assert.deepEqual(verdict.signatures.map((one) => [one.tool, one.format, one.via, one.valid, one.signer, one.role]),
      [['cosign', 'cosign-simple-signing', 'tag', true, 'release', 'signature']]);
  });

  it('refuses the guest an unsigned image in every client, saying it has no signature; the maintainer still pulls it', { timeout }, async () => {
    await allRefused(ref('unsigned'), refusal('unsigned', 'it has no signature'), 'unsigned');
    // Push rights, decided by authorisation: the same podman, as the maintainer, reads it.
    assertSucceeded(await clients.tryPodman(`pull-${++pulls}`, ['pull', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('anonymous'),
      '--creds', creds(maintainer), ref('unsigned')]), 'podman pull of the unsigned image by the maintainer');
  });

  it('refuses an image signed with a key the project does not trust, saying so', { timeout }, async () => {
    await cosign.sign(cosign.reference('team/app', digestOf('stranger')), stranger);
    await allRefused(ref('stranger'), refusal('stranger', 'none of its 1 signature is valid from a key the project trusts: '
      + literal('signature does not match any of the project\'s 1 trusted cosign key(s)')), 'signed with another key');
  });

  it('refuses an image wearing the .sig signature of another image, naming the digest the payload signs', { timeout }, async () => {
    // The maintainer copies the signed image's signature, byte for byte, to the .sig tag of another image.
    const tagOf = (digest: string): string => `${digest.replace(':', '-')}.sig`;
    await clients.skopeo(['copy', '--quiet', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', creds(maintainer),
      '--dest-creds', creds(maintainer), `docker://${ref(tagOf(digestOf('signed')))}`, `docker://${ref(tagOf(digestOf('copied')))}`]);
    const copied = await status('team/app:copied');
    const original = await status('team/app:signed');
    assert.equal(copied.signatures[0]?.artifact, original.signatures[0]?.artifact, 'the same signature manifest, under the other tag');

    await allRefused(ref('copied'), refusal('copied', `none of its 1 signature is valid from a key the project trusts: `
      + `[^.]*payload names ${literal(digestOf('signed'))}, not the pulled digest ${literal(digestOf('copied'))}`), 'a copied signature');
  });

  it('refuses an image signed with an expired certificate from a CA the project trusts, saying it expired', { timeout }, async () => {
    // The project trusts the company's CA (berth trust add-ca); the certificate is issued for a key the project does
    // not trust as a key, so only the certificate can vouch for the signature. OpenSSL 3.0 cannot backdate a
    // certificate: -days 0 makes one that expires the second it is made.
    const pki = new TestPki();
    try {
      const root = pki.selfSigned({ subject: '/CN=Team Root CA' });
      assert.match(await cliOk(maintainer, ['trust', 'add-ca', 'team', '--ca', root.certFile, '--name', 'corporate']),
        /^team now trusts CA certificates "corporate" \(SHA-256 fingerprint [0-9A-F:]{95}\)\.\n$/);
      const certified = await cosign.generateKeyPair('certified');
      const brief = certifyCosignKey(work, root, certified, { subject: '/CN=release', email: 'release@example.org', days: 0 });
      await sleep(1_100);
      await cosign.sign(cosign.reference('team/app', digestOf('expired')), certified, { certificateFile: brief.file, certificateChainFile: root.certFile });
      await allRefused(ref('expired'), new RegExp(`denied: project team only serves images signed by a key it trusts, and team/app@${literal(digestOf('expired'))} `
        + 'is refused: none of its 1 signature is valid from a key the project trusts: [^\\n]*expired'), 'an expired certificate');
      const verdict = await status('team/app:expired');
      assert.deepEqual([verdict.verified, verdict.signatures[0]?.failure], [false, 'expired']);
    } finally {
      pki.close();
    }
  });

  it('accepts cosign\'s OCI 1.1 referrer signatures and sigstore bundles under enforce', { timeout }, async () => {
    await cosign.sign(cosign.reference('team/app', digestOf('referrer')), release, { referrersMode: 'oci-1-1' });
    await cosign.attest(cosign.reference('team/app', digestOf('bundle')), release, { predicateType: cosignSignPredicate, predicate: {}, newBundleFormat: true });
    await allPull(ref('referrer'), 'a referrer signature');
    await allPull(ref('bundle'), 'a sigstore bundle signature');

    const byReferrer = await status('team/app:referrer');
    assert.deepEqual([byReferrer.verified, byReferrer.basis], [true, 'signed']);
    assert.deepEqual(byReferrer.signatures.map((one) => [one.tool, one.format, one.via, one.valid, one.signer]),
      [['cosign', 'cosign-simple-signing', 'referrer', true, 'release']]);
    const byBundle = await status(`team/app@${digestOf('bundle')}`);
    assert.deepEqual([byBundle.verified, byBundle.basis], [true, 'signed']);
    assert.deepEqual(byBundle.signatures.map((one) => [one.tool, one.format, one.via, one.valid, one.signer, one.role]),
      [['cosign', 'sigstore-bundle', 'referrer', true, 'release', 'signature']]);
  });

  it('lets the platforms of an index signed by digest pull: podman pull of the index tag under enforce', { timeout }, async () => {
    const index = ref('v1', 'team/multi');
    assertFailed(await podmanPull(index), /denied: project team only serves images signed by a key it trusts, .* it has no signature/, 'podman pull of the unsigned index');
    await cosign.sign(cosign.reference('team/multi', digestOf('multi')), release);

    assertSucceeded(await podmanPull(index), 'podman pull of the signed index (its linux/amd64 platform)');
    assertSucceeded(await skopeoInspect(index), 'skopeo inspect of the signed index (its platform\'s config)');
    assertSucceeded(await ctrPull(index), 'ctr images pull of the signed index');
    const platform = await status(`team/multi@${digestOf('amd64')}`);
    assert.deepEqual([platform.verified, platform.basis, platform.index], [true, 'signed-index', digestOf('multi')]);
    assert.deepEqual(platform.signatures.map((one) => [one.tool, one.valid, one.signer]), [['cosign', true, 'release']]);
  });

  it('under audit lets the guest pull every refused image, and `berth trust status --json` records each verdict', { timeout }, async () => {
    assert.equal(await cliOk(maintainer, ['trust', 'mode', 'team', 'audit']), 'team: trust mode audit, 1 trusted key, 1 trusted CA.\n');
    for (const tag of ['unsigned', 'stranger', 'copied']) await allPull(ref(tag), `audit, ${tag}`);

    const unsigned = await status('team/app:unsigned');
    assert.deepEqual([unsigned.mode, unsigned.verified, unsigned.basis, unsigned.signatures], ['audit', false, 'unsigned', []]);
    const other = await status('team/app:stranger');
    assert.deepEqual([other.verified, other.basis], [false, 'untrusted']);
    assert.deepEqual(other.signatures.map((one) => [one.tool, one.valid, one.failure, one.reason]),
      [['cosign', false, 'untrusted-signer', 'signature does not match any of the project\'s 1 trusted cosign key(s)']]);
    const copied = await status('team/app:copied');
    assert.deepEqual([copied.verified, copied.basis], [false, 'untrusted']);
    assert.deepEqual(copied.signatures.map((one) => [one.tool, one.valid, one.failure]), [['cosign', false, 'wrong-subject']]);
    assert.match(copied.signatures[0]!.reason!, new RegExp(`payload names ${literal(digestOf('signed'))}, not the pulled digest ${literal(digestOf('copied'))}`));
    assert.equal((await status('team/app:signed')).verified, true);

    // The pulls let through without a trusted signature are counted, as are the refusals before.
    const metrics = await (await fetch(`${berth.url}/metrics`, { headers: { authorization: basicAuth(admin.username, admin.password) } })).text();
    const count = (outcome: string): number => Number(new RegExp(`^berth_signature_pulls_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 'NaN');
    assert.ok(count('audited') > 0, metrics.split('\n').filter((line) => line.includes('signature')).join('\n'));
    assert.ok(count('refused') > 0, metrics.split('\n').filter((line) => line.includes('signature')).join('\n'));
  });
});

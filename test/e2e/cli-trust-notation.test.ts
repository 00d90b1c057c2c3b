/**
 * `berth trust` for notation and per-platform checking, against a real `berth serve` child process: a maintainer adds
 * a notation trust store and a trust policy file, turns per-platform checking on and off, and `berth trust status`
 * shows a notation signature (made in the test as `notation sign` lays it out) verified, with its signer; a guest's
 * skopeo reads the signed image and is refused the unsigned one under enforce; bad input is refused with what to do.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdminApi, basicAuth } from '../support/admin-api.js';
import { runBerthCli } from '../support/berth-cli.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { cleanUp } from '../support/cleanup.js';
import { assertFailed, assertSucceeded } from '../support/clients/outcomes.js';
import { makeTempDir, removeDir } from '../support/clients/run.js';
import { SandboxedClients } from '../support/clients/sandboxed-clients.js';
import { buildImage, type BuiltManifest, pushManifestAs } from '../support/image-builder.js';
import { notationJws, notationLeafExtensions, notationSignatureManifest } from '../support/notation-signatures.js';
import { TestPki } from '../support/signature-pki.js';

const adminPassword = 'cli-trust-notation-admin-1';
const maintainer = { username: 'mia', password: 'mia-maintainer-password' };
const guest = { username: 'gus', password: 'gus-guest-password-123' };

describe('berth trust: notation trust stores and policies, per-platform checking', { timeout: 300_000 }, () => {
  let berth: BerthProcess;
  let work: string;
  let clients: SandboxedClients;
  const pki = new TestPki();
  /** skopeo inspect (manifest and config), as the guest. */
  const inspect = (reference: string) => clients.trySkopeo(['inspect', '--tls-verify=false', '--creds', `${guest.username}:${guest.password}`, `docker://${berth.hostPort}/${reference}`]);

  const cli = async (args: readonly string[]) => {
    const run = await runBerthCli(['--url', berth.url, '-u', maintainer.username, '--password-stdin', ...args],
      { configDir: join(work, 'cli'), input: `${maintainer.password}\n`, timeoutMs: 60_000 });
    return { ...run, command: `berth ${args.join(' ')}` };
  };
  const cliOk = async (args: readonly string[]): Promise<string> => assertSucceeded(await cli(args), `berth ${args.join(' ')}`).stdout;

  const push = (repository: string, reference: string, manifest: BuiltManifest): Promise<void> =>
    pushManifestAs(berth.url, basicAuth(maintainer.username, maintainer.password), repository, reference, manifest);

  before(async () => {
    work = makeTempDir('cli-trust-notation');
    clients = new SandboxedClients(work);
    berth = await startBerthProcess({ env: { BERTH_ADMIN_PASSWORD: adminPassword } });
    const admin = new AdminApi(berth.url, 'admin', adminPassword);
    await admin.createProject('team', false);
    await admin.createUser({ ...maintainer, email: 'mia@example.org' });
    await admin.setMember('team', { kind: 'user', name: maintainer.username, role: 'maintainer' });
    await admin.createUser({ ...guest, email: 'gus@example.org' });
    await admin.setMember('team', { kind: 'user', name: guest.username, role: 'guest' });
  });
  after(() => cleanUp('the berth trust notation tests', [
    () => berth?.stop(),
    () => { if (berth) removeDataDir(berth.dataDir); },
    () => pki.close(),
    () => removeDir(work),
  ]));

  it('sets a notation trust store and policy, and shows a notation signature verified with its signer', async () => {
    const root = pki.selfSigned({ subject: '/C=US/ST=WA/O=Berth Test/CN=Notary Root' });
    const signer = pki.issue(root, { subject: '/C=US/ST=WA/O=Berth Test/OU=Release/CN=release', extensions: notationLeafExtensions });
    const added = await cliOk(['trust', 'add-notation-store', 'team', 'ca:release', '--certificates', root.certFile]);
    assert.match(added, /^team now has notation trust store "ca:release" \(SHA-256 fingerprint [0-9A-F:]+\)\.\n$/);
    const policyFile = join(work, 'trustpolicy.json');
    writeFileSync(policyFile, JSON.stringify({
      version: '1.0',
      trustPolicies: [{ name: 'release', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:release'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=Berth Test, OU=Release'] }],
    }));
    assert.equal(await cliOk(['trust', 'notation-policy', 'team', policyFile]), 'team: notation signatures are verified by trust policies "release".\n');
    assert.equal(await cliOk(['trust', 'mode', 'team', 'enforce']), 'team: trust mode enforce, 0 trusted keys, 1 notation trust store.\n');

    const image = buildImage();
    await push('team/app', 'v1', image);
    const signature = notationSignatureManifest(image.descriptor, await notationJws(signer, [root], image.descriptor));
    await push('team/app', signature.digest, signature);
    const status = JSON.parse(await cliOk(['trust', 'status', 'team/app:v1', '--json']));
    assert.deepEqual([status.verified, status.basis, status.signatures.map((one: { tool: string; valid: boolean; signer: string }) => [one.tool, one.valid, one.signer])],
      [true, 'signed', [['notation', true, 'C=US, ST=WA, O=Berth Test, OU=Release, CN=release']]]);
    assertSucceeded(await inspect('team/app:v1'), 'skopeo inspect of the notation-signed image');
    await push('team/app', 'unsigned', buildImage());
    assertFailed(await inspect('team/app:unsigned'), /denied: project team only serves images signed by a key it trusts, and team\/app@sha256:[0-9a-f]{64} is refused: it has no signature/,
      'skopeo inspect of an unsigned image under enforce');
    const shown = await cliOk(['trust', 'show', 'team']);
    assert.match(shown, /^notation {4}trust policies "release"$/m);
    assert.match(shown, /^ca:release +notation-store /m);
  });

  it('turns per-platform checking on and off, and clears the notation policy', async () => {
    assert.equal(await cliOk(['trust', 'per-platform', 'team', 'on']), 'team: each platform of an index needs its own signature.\n');
    assert.equal(JSON.parse(await cliOk(['trust', 'show', 'team', '--json'])).perPlatform, true);
    assert.equal(await cliOk(['trust', 'per-platform', 'team', 'off']), 'team: a signed index vouches for the platforms it lists.\n');
    assert.equal(await cliOk(['trust', 'notation-policy', 'team', '--clear']), 'team: notation signatures are not checked.\n');
    assert.equal(JSON.parse(await cliOk(['trust', 'show', 'team', '--json'])).notationPolicy, null);
  });

  it('refuses what is not a policy, a store name and a value, saying what to give', async () => {
    assertFailed(await cli(['trust', 'notation-policy', 'team']), /give the trust policy file, or --clear to remove the policy/, 'no file');
    const notJson = join(work, 'not.json');
    writeFileSync(notJson, '{ version: 1');
    assertFailed(await cli(['trust', 'notation-policy', 'team', notJson]), /is not JSON/, 'not JSON');
    const wrong = join(work, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ version: '1.0', trustPolicies: [] }));
    assertFailed(await cli(['trust', 'notation-policy', 'team', wrong]), /trustPolicies must be a non-empty array/, 'an empty policy');
    const root = pki.selfSigned({ subject: '/C=US/ST=WA/O=Berth Test/CN=Other Root' });
    assertFailed(await cli(['trust', 'add-notation-store', 'team', 'release', '--certificates', root.certFile]), /named TYPE:NAME/, 'a store name without its type');
    assertFailed(await cli(['trust', 'per-platform', 'team', 'maybe']), /give on or off/, 'per-platform maybe');
  });
});

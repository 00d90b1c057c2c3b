import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { OperatorError } from '../errors/operator-error.js';
import { segment, withClient } from './command-kit.js';
import { parseReference } from './insight-commands.js';
import { printJson, printLine, printTable, shortTime } from './output.js';

interface TrustKey { readonly name: string; readonly kind: string; readonly hint: string; readonly pem: string; readonly createdBy: string; readonly createdAt: string }
interface ProjectTrust {
  readonly project: string; readonly mode: string; readonly identities: readonly { subject: string; issuer: string | null }[];
  readonly perPlatform: boolean; readonly notationPolicy: { trustPolicies?: readonly { name?: string }[] } | null;
  readonly updatedBy: string | null; readonly updatedAt: string | null; readonly keys: readonly TrustKey[];
}
interface SignatureVerdict {
  readonly artifact: string; readonly via: string; readonly tool: string; readonly format: string; readonly valid: boolean; readonly signer: string | null;
  readonly role: string | null; readonly reason: string | null; readonly failure: string | null; readonly validUntil: string | null;
}
interface SignatureStatus {
  readonly repository: string; readonly digest: string; readonly mode: string; readonly verified: boolean; readonly basis: string; readonly index: string | null;
  readonly signatures: readonly SignatureVerdict[];
}

const modes = ['off', 'audit', 'enforce'] as const;

/** The PEM file an option names, or an error naming the option and why it cannot be read. */
function readPem(option: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new OperatorError(`cannot read ${option} ${file}: ${(error as Error).message}`);
  }
}

/** The JSON file an option names, parsed, or an error naming the option and what is wrong. */
function readJson(option: string, file: string): unknown {
  const text = readPem(option, file);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new OperatorError(`${option} ${file} is not JSON: ${(error as Error).message}`);
  }
}

/** "1 trusted key", "2 trusted keys, 1 trusted CA, 1 notation trust store": what a project trusts, counted by kind. */
function trustedSummary(keys: readonly TrustKey[]): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const cas = keys.filter((key) => key.kind === 'ca-roots').length;
  const stores = keys.filter((key) => key.kind === 'notation-store').length;
  return `${count(keys.length - cas - stores, 'trusted key')}${cas === 0 ? '' : `, ${count(cas, 'trusted CA')}`}${stores === 0 ? '' : `, ${count(stores, 'notation trust store')}`}`;
}

function parseMode(value: string): string {
  if (!(modes as readonly string[]).includes(value)) throw new InvalidArgumentError(`give one of ${modes.join(', ')}`);
  return value;
}

const help = `
Modes: off (signatures are not checked), audit (pulls go on; "berth trust status" shows each image's verdict),
enforce (pulls of images without a valid signature from a trusted key are refused, except for those who may push to
the repository, so that they can sign it).

Examples:
  berth trust add-key team --cosign-key cosign.pub --name release
  berth trust add-ca team --ca corporate-ca.pem --name corporate    # certificate signatures chaining to it
  berth trust identities team release@example.com --issuer https://id.example.com
  berth trust mode team enforce
  berth trust per-platform team on                                  # each platform of an index signed on its own
  berth trust add-notation-store team ca:acme --certificates acme-root.pem
  berth trust notation-policy team trustpolicy.json                 # the Notary Project trust policy document
  berth trust status team/app:1.4 --json
  berth trust show team
  berth trust remove-key team release
`;

/**
 * `berth trust …`: which cosign keys a project trusts and whether it enforces signatures at pull time, and any
 * image's signatures with their verdicts. Members read a project's trust; maintainers change it.
 */
export function registerTrustCommands(program: Command): void {
  const trust = program.command('trust')
    .description('signature trust: the keys a project trusts, and whether pulls of unsigned images are refused (project maintainers)')
    .addHelpText('after', help);

  trust.command('add-key <project>')
    .description('trust a cosign public key in the project: images it signs may be pulled under enforce')
    .requiredOption('--cosign-key <file>', 'the public key file cosign generate-key-pair wrote (cosign.pub)')
    .option('--name <name>', 'a name for the key, unique in the project; verdicts name the signer by it', 'default')
    .option('--json', 'print JSON: the key')
    .action(withClient(async (client, options, project) => {
      const pem = readPem('--cosign-key', options.cosignKey as string);
      const key = await client.post<TrustKey>(`/api/v1/projects/${segment(project!)}/trust/keys`, { name: options.name, cosignKey: pem });
      if (options.json) printJson(key);
      else printLine(`${project} now trusts cosign key "${key.name}" (sha256 ${key.hint}).`);
    }));

  trust.command('add-ca <project>')
    .description('trust CA certificates: signatures made with a certificate chaining to one of them (cosign sign --certificate --certificate-chain) are valid')
    .requiredOption('--ca <file>', 'the CA certificates, PEM (one or more)')
    .option('--name <name>', 'a name for them, unique in the project', 'ca')
    .option('--json', 'print JSON: the entry')
    .action(withClient(async (client, options, project) => {
      const pem = readPem('--ca', options.ca as string);
      const roots = await client.post<TrustKey>(`/api/v1/projects/${segment(project!)}/trust/keys`, { name: options.name, caCertificates: pem });
      if (options.json) printJson(roots);
      else printLine(`${project} now trusts CA certificates "${roots.name}" (SHA-256 fingerprint ${roots.hint}).`);
    }));

  trust.command('identities <project> [subjects...]')
    .description('require certificate signers to have one of these identities (an e-mail address or URI in the certificate); none given: any the CA certificates vouch for')
    .option('--issuer <url>', 'the OIDC issuer each certificate must also carry')
    .option('--json', 'print JSON: the project\'s trust, as "berth trust show --json"')
    .action(withClient(async (client, options, project, subjects) => {
      const identities = (subjects as unknown as string[] ?? []).map((subject) => ({ subject, ...(options.issuer !== undefined && { issuer: options.issuer as string }) }));
      const updated = await client.put<ProjectTrust>(`/api/v1/projects/${segment(project!)}/trust`, { identities });
      if (options.json) printJson(updated);
      else if (updated.identities.length === 0) printLine(`${updated.project}: any certificate the project's CA certificates vouch for may sign.`);
      else printLine(`${updated.project}: certificate signers must be ${updated.identities.map((one) => (one.issuer ? `${one.subject} (${one.issuer})` : one.subject)).join(' or ')}.`);
    }));

  trust.command('add-notation-store <project> <name>')
    .description('a notation trust store: certificates a notation trust policy names in trustStores as NAME (ca:NAME, signingAuthority:NAME or tsa:NAME)')
    .requiredOption('--certificates <file>', 'the trust store\'s certificates, PEM (one or more)')
    .option('--json', 'print JSON: the entry')
    .action(withClient(async (client, options, project, name) => {
      const pem = readPem('--certificates', options.certificates as string);
      const store = await client.post<TrustKey>(`/api/v1/projects/${segment(project!)}/trust/keys`, { name, notationCertificates: pem });
      if (options.json) printJson(store);
      else printLine(`${project} now has notation trust store "${store.name}" (SHA-256 fingerprint ${store.hint}).`);
    }));

  trust.command('notation-policy <project> [file]')
    .description('verify notation signatures by this Notary Project trust policy document (trustpolicy.json, version 1.0); scopes name the project\'s repositories')
    .option('--clear', 'remove the policy: notation signatures are no longer checked')
    .option('--json', 'print JSON: the project\'s trust, as "berth trust show --json"')
    .action(withClient(async (client, options, project, file) => {
      if ((file === undefined) === (options.clear !== true)) throw new OperatorError('give the trust policy file, or --clear to remove the policy');
      const notationPolicy = options.clear === true ? null : readJson('the trust policy', file!);
      const updated = await client.put<ProjectTrust>(`/api/v1/projects/${segment(project!)}/trust`, { notationPolicy });
      if (options.json) printJson(updated);
      else if (updated.notationPolicy === null) printLine(`${updated.project}: notation signatures are not checked.`);
      else printLine(`${updated.project}: notation signatures are verified by trust policies ${(updated.notationPolicy.trustPolicies ?? []).map((one) => `"${one.name}"`).join(', ')}.`);
    }));

  trust.command('per-platform <project> <on|off>')
    .description('on: each platform of an index needs a signature of its own (cosign sign --recursive); off: a signed index vouches for its platforms')
    .option('--json', 'print JSON: the project\'s trust, as "berth trust show --json"')
    .action(withClient(async (client, options, project, value) => {
      if (value !== 'on' && value !== 'off') throw new InvalidArgumentError('give on or off');
      const updated = await client.put<ProjectTrust>(`/api/v1/projects/${segment(project!)}/trust`, { perPlatform: value === 'on' });
      if (options.json) printJson(updated);
      else printLine(updated.perPlatform ? `${updated.project}: each platform of an index needs its own signature.` : `${updated.project}: a signed index vouches for the platforms it lists.`);
    }));

  trust.command('remove-key <project> <name>')
    .description('stop trusting a key or CA certificates: images only they vouch for are refused under enforce')
    .action(withClient(async (client, _options, project, name) => {
      await client.delete(`/api/v1/projects/${segment(project!)}/trust/keys/${segment(name!)}`);
      printLine(`${project} no longer trusts key "${name}".`);
    }));

  trust.command('mode <project> <mode>')
    .description(`set the project's trust mode: ${modes.join(', ')}`)
    .option('--json', 'print JSON: the project\'s trust, as "berth trust show --json"')
    .action(withClient(async (client, options, project, mode) => {
      const updated = await client.put<ProjectTrust>(`/api/v1/projects/${segment(project!)}/trust`, { mode: parseMode(mode!) });
      if (options.json) printJson(updated);
      else printLine(`${updated.project}: trust mode ${updated.mode}, ${trustedSummary(updated.keys)}.`);
    }));

  trust.command('show <project>')
    .description('the project\'s trust mode and trusted keys')
    .option('--json', 'print JSON: mode, identities, perPlatform, notationPolicy, updatedBy, updatedAt, keys (name, kind, hint, pem, createdBy, createdAt)')
    .action(withClient(async (client, options, project) => {
      const current = await client.get<ProjectTrust>(`/api/v1/projects/${segment(project!)}/trust`);
      if (options.json) {
        printJson(current);
        return;
      }
      printLine(`mode        ${current.mode}${current.updatedBy ? ` (set by ${current.updatedBy} ${shortTime(current.updatedAt)})` : ''}`);
      if (current.identities.length > 0) printLine(`identities  ${current.identities.map((one) => (one.issuer ? `${one.subject} (${one.issuer})` : one.subject)).join(', ')}`);
      printLine(`platforms   ${current.perPlatform ? 'each needs its own signature' : 'a signed index vouches for them'}`);
      printLine(`notation    ${current.notationPolicy === null ? 'no trust policy: notation signatures are not checked' : `trust policies ${(current.notationPolicy.trustPolicies ?? []).map((one) => `"${one.name}"`).join(', ')}`}`);
      if (current.keys.length === 0) printLine(`keys        none (berth trust add-key ${project} --cosign-key cosign.pub)`);
      else {
        printTable(current.keys, [
          ['key', (key) => key.name], ['kind', (key) => key.kind], ['sha256', (key) => key.hint], ['added by', (key) => key.createdBy],
          ['added', (key) => shortTime(key.createdAt)],
        ]);
      }
    }));

  trust.command('status <reference>')
    .description('the signatures of REPOSITORY:TAG or REPOSITORY@DIGEST, each verified against its project\'s trusted keys')
    .option('--json', 'print JSON: verified (would a pull pass under enforce), basis, mode, and signatures (tool, format, signer, valid, reason)')
    .action(withClient(async (client, options, reference) => {
      const target = parseReference(reference!);
      const query = new URLSearchParams({ repository: target.repository, reference: target.reference });
      const status = await client.get<SignatureStatus>(`/api/v1/signatures?${query.toString()}`);
      if (options.json) {
        printJson(status);
        return;
      }
      const verdict = status.verified
        ? `verified (${status.basis === 'signed-index' ? `through signed index ${status.index}` : status.basis === 'platforms' ? 'an index: each platform is checked when pulled' : status.basis})`
        : `not verified (${status.basis})`;
      printLine(`${status.repository}@${status.digest}: ${verdict}; project mode ${status.mode}`);
      if (status.signatures.length === 0) return;
      printTable(status.signatures, [
        ['tool', (one) => one.tool], ['format', (one) => one.format], ['via', (one) => one.via], ['valid', (one) => (one.valid ? 'yes' : 'no')],
        ['signer or reason', (one) => (one.valid ? `${one.signer}${one.role === 'attestation' ? ' (attestation)' : ''}` : one.reason)],
      ]);
    }));
}

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeDir, runCommand, type RunResult } from './run.js';
import { repoRoot } from './tools.js';

/**
 * Drives the real cosign binary against a Berth over plain HTTP, fully offline: key pairs protected by
 * COSIGN_PASSWORD, no transparency log upload, no Fulcio, and an empty trusted root so that no command refreshes
 * sigstore's TUF repository. Each client works in a temporary folder of its own (HOME and DOCKER_CONFIG point there),
 * so no user's settings or credentials are read.
 *
 * The cosign is Debian trixie's (2.5), unpacked into `.test-tools/root` by scripts/install-test-deps.sh (bookworm has
 * none). Its `import-key-pair` refuses every key ("unsupported public key type"), so certificates for a key are made
 * with openssl's `-force_pubkey` over the key pair cosign generated (see {@link certifyCosignKey}).
 */

/** The unpacked cosign, or one on PATH; undefined when neither is there, so tests can skip with a reason. */
export function cosignPath(): string | undefined {
  const candidates = [join(repoRoot, '.test-tools', 'root', 'usr', 'bin', 'cosign'),
    ...(process.env.PATH ?? '').split(':').filter((dir) => dir !== '').map((dir) => join(dir, 'cosign'))];
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A skip reason when cosign is absent (for `it(..., { skip })`), false when it is there. */
export const cosignMissing: string | false = cosignPath() === undefined
  ? 'cosign is not in .test-tools/root/usr/bin: run `bash scripts/install-test-deps.sh` to fetch it from Debian trixie'
  : false;

/** A cosign command that failed: the message names the action and carries the command line and cosign's stderr. */
export class CosignFailed extends Error {
  constructor(readonly action: string, readonly result: RunResult) {
    super(`cosign ${action} failed (${result.signal ?? `exit ${result.code}`}): ${result.command}\n` +
      `--- stderr ---\n${result.stderr.trimEnd()}\n--- stdout ---\n${result.stdout.trimEnd()}`);
    this.name = 'CosignFailed';
  }
}

export interface CosignKeyPair {
  readonly name: string;
  /** `<name>.key`: PEM `ENCRYPTED SIGSTORE PRIVATE KEY`, encrypted with the client's password. */
  readonly privateKeyFile: string;
  /** `<name>.pub`: PEM `PUBLIC KEY` (SPKI), what a project trusts. */
  readonly publicKeyFile: string;
  readonly publicPem: string;
}

export interface CosignClientOptions {
  /** `host:port` of the registry, as image references name it. */
  readonly registry: string;
  /** Written to the client's docker config for the registry, when access control is on. */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** The password protecting generated keys (COSIGN_PASSWORD). */
  readonly password?: string;
}

/** Where cosign stores signatures: the `.sig` tag (cosign ≤2.x default) or an OCI 1.1 referrer (`subject`). */
export type ReferrersMode = 'legacy' | 'oci-1-1';

export interface SignOptions {
  /** `-a key=value`: signed into the payload's `optional` object. */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly referrersMode?: ReferrersMode;
  /** A PEM certificate for the key (`--certificate`) and its chain, intermediates first, ending at the root. */
  readonly certificateFile?: string;
  readonly certificateChainFile?: string;
}

export interface AttestOptions {
  /** A predicate type URI (or one of cosign's short names). */
  readonly predicateType: string;
  /** The predicate, written to a file as JSON. */
  readonly predicate: unknown;
  /** A sigstore bundle pushed as an OCI 1.1 referrer (`--new-bundle-format`) rather than the `.att` tag. */
  readonly newBundleFormat?: boolean;
  readonly certificateFile?: string;
  readonly certificateChainFile?: string;
}

/** How `cosign verify` is told whom to trust: a public key, or a CA chain and the certificate's identity. */
export type VerifyTrust =
  | { readonly key: CosignKeyPair }
  | { readonly certificateChainFile: string; readonly identity: string };

export interface VerifyOptions {
  /** `-a key=value`: the signature must carry these annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly referrersMode?: ReferrersMode;
}

const plainHttp = ['--allow-http-registry', '--allow-insecure-registry'];
/** A trusted root with no logs or authorities: with `--insecure-ignore-tlog` and a key, nothing in it is needed. */
const emptyTrustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [],
};

export class CosignClient {
  readonly dir: string;
  readonly registry: string;
  readonly #binary: string;
  readonly #password: string;
  #files = 0;

  constructor(options: CosignClientOptions) {
    const binary = cosignPath();
    if (binary === undefined) throw new Error(cosignMissing || 'cosign is missing');
    this.#binary = binary;
    this.#password = options.password ?? 'berth-e2e-cosign';
    this.registry = options.registry;
    this.dir = makeTempDir('cosign');
    const auths = options.credentials === undefined ? {} : {
      [options.registry]: { auth: Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64') },
    };
    writeFileSync(join(this.dir, 'config.json'), `${JSON.stringify({ auths })}\n`);
    writeFileSync(join(this.dir, 'trusted_root.json'), `${JSON.stringify(emptyTrustedRoot)}\n`);
  }

  /** `host:port/repository@digest`: cosign signs digests, never tags, so references here always carry one. */
  reference(repository: string, digest: string): string {
    return `${this.registry}/${repository}@${digest}`;
  }

  async generateKeyPair(name = 'cosign'): Promise<CosignKeyPair> {
    await this.#must('generate-key-pair', ['generate-key-pair', '--output-key-prefix', name]);
    const publicKeyFile = join(this.dir, `${name}.pub`);
    return { name, privateKeyFile: join(this.dir, `${name}.key`), publicKeyFile, publicPem: readFileSync(publicKeyFile, 'utf8') };
  }

  /** `cosign sign --key`, with no transparency log; the image is `reference(...)`. */
  sign(image: string, key: CosignKeyPair, options: SignOptions = {}): Promise<RunResult> {
    const args = ['sign', '--key', key.privateKeyFile, '--tlog-upload=false', ...plainHttp, '--yes',
      ...annotationFlags(options.annotations), ...certificateFlags(options)];
    if (options.referrersMode === 'oci-1-1') args.push('--registry-referrers-mode=oci-1-1');
    return this.#must(`sign ${image}`, [...args, image], options.referrersMode);
  }

  /** `cosign attest --key`: an in-toto statement about the image, as a `.att` tag or a sigstore bundle referrer. */
  attest(image: string, key: CosignKeyPair, options: AttestOptions): Promise<RunResult> {
    const predicateFile = this.#file('predicate', JSON.stringify(options.predicate));
    const args = ['attest', '--key', key.privateKeyFile, '--tlog-upload=false', ...plainHttp, '--yes',
      '--type', options.predicateType, '--predicate', predicateFile, ...certificateFlags(options)];
    if (options.newBundleFormat === true) args.push('--new-bundle-format');
    return this.#must(`attest ${image}`, [...args, image]);
  }

  /** `cosign verify`, offline; resolves to the payloads cosign accepted (it prints them as a JSON array). */
  async verify(image: string, trust: VerifyTrust, options: VerifyOptions = {}): Promise<unknown[]> {
    const result = await this.#must(`verify ${image}`, this.#verifyArgs(image, trust, options), options.referrersMode);
    return JSON.parse(result.stdout) as unknown[];
  }

  /** `cosign verify` that must fail: resolves to cosign's stderr, throws if cosign accepted the image. */
  async verifyRefused(image: string, trust: VerifyTrust, options: VerifyOptions = {}): Promise<string> {
    const result = await this.#run(this.#verifyArgs(image, trust, options), options.referrersMode);
    if (result.code === 0) throw new Error(`cosign verify accepted ${image}, expected a refusal:\n${result.stderr}\n${result.stdout}`);
    return result.stderr;
  }

  /** `cosign verify-attestation --key`, offline; resolves to the envelopes or bundles it accepted, one per line. */
  async verifyAttestation(image: string, key: CosignKeyPair, options: { predicateType: string; newBundleFormat?: boolean }): Promise<unknown[]> {
    const args = ['verify-attestation', '--key', key.publicKeyFile, '--insecure-ignore-tlog', ...plainHttp, '--type', options.predicateType];
    // The bundle path insists on a trusted root; without one it refreshes sigstore's TUF repository over the network.
    if (options.newBundleFormat === true) args.push('--new-bundle-format', '--trusted-root', join(this.dir, 'trusted_root.json'));
    const result = await this.#must(`verify-attestation ${image}`, [...args, image]);
    return result.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as unknown);
  }

  close(): void {
    removeDir(this.dir);
  }

  #verifyArgs(image: string, trust: VerifyTrust, options: VerifyOptions): string[] {
    const args = ['verify', '--insecure-ignore-tlog', ...plainHttp, ...annotationFlags(options.annotations)];
    if ('key' in trust) args.push('--key', trust.key.publicKeyFile);
    // A private CA issues no SCTs and no OIDC issuer extension: any issuer, no certificate transparency.
    else args.push('--certificate-chain', trust.certificateChainFile, '--certificate-identity', trust.identity, '--certificate-oidc-issuer-regexp', '.*', '--insecure-ignore-sct');
    if (options.referrersMode === 'oci-1-1') args.push('--experimental-oci11');
    return [...args, image];
  }

  #file(prefix: string, content: string): string {
    const file = join(this.dir, `${prefix}-${++this.#files}.json`);
    writeFileSync(file, content);
    return file;
  }

  async #must(action: string, args: readonly string[], mode?: ReferrersMode): Promise<RunResult> {
    const result = await this.#run(args, mode);
    if (result.code !== 0) throw new CosignFailed(action, result);
    return result;
  }

  #run(args: readonly string[], mode?: ReferrersMode): Promise<RunResult> {
    return runCommand(this.#binary, args, {
      cwd: this.dir,
      env: {
        HOME: this.dir, DOCKER_CONFIG: this.dir, COSIGN_PASSWORD: this.#password,
        // cosign 2.5 refuses --registry-referrers-mode=oci-1-1 (and reads no referrers) without it.
        ...(mode === 'oci-1-1' && { COSIGN_EXPERIMENTAL: '1' }),
      },
    });
  }
}

function annotationFlags(annotations: Readonly<Record<string, string>> = {}): string[] {
  return Object.entries(annotations).flatMap(([name, value]) => ['-a', `${name}=${value}`]);
}

function certificateFlags(options: { certificateFile?: string; certificateChainFile?: string }): string[] {
  return [...(options.certificateFile === undefined ? [] : ['--certificate', options.certificateFile]),
    ...(options.certificateChainFile === undefined ? [] : ['--certificate-chain', options.certificateChainFile])];
}

export interface CertifiedKey {
  readonly pem: string;
  readonly file: string;
  readonly certificate: X509Certificate;
}

/** Numbers the files of each certificate made here, within the caller's folder. */
let certified = 0;

export interface CertifyOptions {
  /** openssl `-subj` form, e.g. `/CN=release`. */
  readonly subject: string;
  /** The subject alternative name cosign reports as the signer's identity. */
  readonly email: string;
  readonly days?: number;
}

/**
 * A code-signing certificate for a cosign key pair, issued by a private CA (`issuer`: PEM certificate and PEM private
 * key files, as test/support/signature-pki.ts makes them). openssl needs a request signed by some key; the request's
 * throwaway key is replaced by the cosign key's public half with `-force_pubkey`.
 */
export function certifyCosignKey(dir: string, issuer: { certFile: string; keyFile: string }, key: CosignKeyPair, options: CertifyOptions): CertifiedKey {
  const base = join(dir, `certified-${++certified}`);
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null',
    '-subj', options.subject, '-out', `${base}.csr`], { stdio: 'pipe' });
  const lines = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning',
    'authorityKeyIdentifier=keyid', `subjectAltName=email:${options.email}`];
  writeFileSync(`${base}.ext`, `${lines.join('\n')}\n`);
  execFileSync('openssl', ['x509', '-req', '-in', `${base}.csr`, '-CA', issuer.certFile, '-CAkey', issuer.keyFile, '-force_pubkey', key.publicKeyFile,
    '-set_serial', String(process.hrtime.bigint()), '-days', String(options.days ?? 365), '-sha256', '-extfile', `${base}.ext`, '-out', `${base}.crt`], { stdio: 'pipe' });
  const pem = readFileSync(`${base}.crt`, 'utf8');
  return { pem, file: `${base}.crt`, certificate: new X509Certificate(pem) };
}

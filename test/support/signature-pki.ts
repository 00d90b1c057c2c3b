import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Keys and certificates for the signature tests, made the way people make them for a private CA: node:crypto
 * generates the keys, the openssl CLI issues the certificates with the extensions asked for. openssl cannot
 * backdate a certificate, so "expired" is tested by checking at a time after a short-lived certificate's notAfter.
 */
export type KeySpec = 'ec-p256' | 'ec-p384' | 'ec-p521' | 'ed25519' | 'rsa-2048' | 'rsa-3072' | 'rsa-1024';

export interface TestKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicPem: string;
}

export interface TestCertificate extends TestKey {
  readonly pem: string;
  readonly der: Buffer;
  readonly certificate: X509Certificate;
  readonly keyFile: string;
  readonly certFile: string;
}

export interface IssueOptions {
  readonly subject: string;
  readonly key?: KeySpec;
  /** openssl extension lines, e.g. `keyUsage=critical,digitalSignature`. */
  readonly extensions?: readonly string[];
  readonly days?: number;
  /** The digest the issuer signs with (`sha1` to make a weak certificate). */
  readonly digest?: string;
}

export const extensions = {
  root: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'],
  intermediate: ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'],
  codeSigning: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning', 'authorityKeyIdentifier=keyid'],
} as const;

export function generateKey(spec: KeySpec): TestKey {
  const pair = spec.startsWith('ec-')
    ? generateKeyPairSync('ec', { namedCurve: { 'ec-p256': 'P-256', 'ec-p384': 'P-384', 'ec-p521': 'P-521' }[spec as 'ec-p256'] })
    : spec === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: Number(spec.slice(4)) });
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'berth-pki-'));
  #count = 0;

  /** A self-signed certificate: a root CA by default, or (with other extensions) a self-signed leaf. */
  selfSigned(options: IssueOptions): TestCertificate {
    const { key, keyFile, base } = this.#key(options.key ?? 'ec-p256');
    const certFile = `${base}.crt`;
    const args = ['req', '-x509', '-new', '-key', keyFile, '-subj', options.subject, '-days', String(options.days ?? 365), '-out', certFile];
    if (!(options.key ?? '').startsWith('ed')) args.push(`-${options.digest ?? 'sha256'}`);
    for (const line of options.extensions ?? extensions.root) args.push('-addext', line);
    execFileSync('openssl', args, { stdio: 'pipe' });
    return this.#read(key, keyFile, certFile);
  }

  /** A certificate issued by `issuer`. */
  issue(issuer: TestCertificate, options: IssueOptions): TestCertificate {
    const { key, keyFile, base } = this.#key(options.key ?? 'ec-p256');
    const csr = `${base}.csr`;
    const extFile = `${base}.ext`;
    const certFile = `${base}.crt`;
    execFileSync('openssl', ['req', '-new', '-key', keyFile, '-subj', options.subject, '-out', csr], { stdio: 'pipe' });
    writeFileSync(extFile, `${(options.extensions ?? extensions.codeSigning).join('\n')}\n`);
    const args = ['x509', '-req', '-in', csr, '-CA', issuer.certFile, '-CAkey', issuer.keyFile, '-set_serial', String(1000 + this.#count),
      '-days', String(options.days ?? 365), '-extfile', extFile, '-out', certFile];
    if (issuer.privateKey.asymmetricKeyType !== 'ed25519') args.push(`-${options.digest ?? 'sha256'}`);
    execFileSync('openssl', args, { stdio: 'pipe' });
    return this.#read(key, keyFile, certFile);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  #key(spec: KeySpec): { key: TestKey; keyFile: string; base: string } {
    const base = join(this.dir, `c${++this.#count}`);
    const key = generateKey(spec);
    const keyFile = `${base}.key`;
    writeFileSync(keyFile, key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    return { key, keyFile, base };
  }

  #read(key: TestKey, keyFile: string, certFile: string): TestCertificate {
    const pem = readFileSync(certFile, 'utf8');
    const certificate = new X509Certificate(pem);
    return { ...key, pem, der: certificate.raw, certificate, keyFile, certFile };
  }
}

/** A time `days` after now, for checks "in the future" against short-lived certificates. */
export function daysFromNow(days: number): Date {
  return new Date(Date.now() + days * 86_400_000);
}

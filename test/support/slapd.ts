import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { freePort } from './free-port.js';

/**
 * A real OpenLDAP server (Debian's slapd package) started for a test file: a throw-away CA and server certificate,
 * a slapd.conf and a seeded mdb database in a temporary folder, listening on free loopback ports for ldap:// (with
 * StartTLS) and ldaps://. Stopped and removed afterwards, and killed when the test process exits without stopping it.
 *
 * The ACLs are those of a directory run with care, so the tests meet what production meets: nobody may read
 * userPassword (it can only be used to bind), and nothing at all is visible without binding first.
 */
export interface Slapd {
  /** ldap://127.0.0.1:PORT; StartTLS works on it with caFile. */
  readonly url: string;
  /** ldaps://127.0.0.1:PORT, TLS from the first byte. */
  readonly ldapsUrl?: string;
  /** PEM of the CA that signed the server's certificate (for IP 127.0.0.1). */
  readonly caFile?: string;
  readonly baseDN: string;
  /** The service account Berth searches with (not the rootdn: it has only the rights ACLs give bound users). */
  readonly bindDN: string;
  readonly bindPassword: string;
  stop(): Promise<void>;
}

const slapdBinary = '/usr/sbin/slapd';
const baseDN = 'dc=example,dc=org';
const serviceDN = `cn=berth,ou=services,${baseDN}`;
const servicePassword = 'berth-secret';

/** The people of the seed, each with password `<uid>-secret`. */
export const seedUsers = ['alice', 'bob', 'carol', 'dave'] as const;
/** Group name → members' uids. */
export const seedGroups: Readonly<Record<string, readonly string[]>> = {
  developers: ['alice'],
  guests: ['bob'],
  'registry-admins': ['carol'],
  everyone: ['alice', 'bob', 'carol', 'dave'],
};

export function userDN(uid: string): string {
  return `uid=${uid},ou=people,${baseDN}`;
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Hashed with slappasswd ({SSHA}), so binds exercise slapd's hash comparison as a real directory's would. */
function hashPassword(password: string, dir: string): string {
  return run('/usr/sbin/slappasswd', ['-s', password], dir).trim();
}

/**
 * A CA and a server certificate for 127.0.0.1 signed by it. The CA is a real CA (basicConstraints CA:TRUE), so
 * Node verifies the chain as it would in production instead of trusting a self-signed leaf.
 */
function makeCertificates(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const extensions = join(dir, 'openssl-ext.cnf');
  // A configuration of our own: OpenSSL's system file adds extensions of its own to `req -x509`.
  writeFileSync(extensions, [
    '[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = unused',
    '[ca]', 'basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
    '[server]', 'basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth', 'subjectAltName = IP:127.0.0.1', 'authorityKeyIdentifier = keyid',
    '',
  ].join('\n'));
  // EC P-256 keys: generated in milliseconds, unlike RSA, and accepted by slapd's GnuTLS.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('openssl', ['req', '-x509', ...ec, '-keyout', caKey, '-out', caFile, '-days', '2', '-config', extensions,
    '-extensions', 'ca', '-subj', '/CN=Berth test CA'], dir);
  run('openssl', ['req', '-new', ...ec, '-keyout', keyFile, '-out', csr, '-config', extensions, '-subj', '/CN=127.0.0.1'], dir);
  run('openssl', ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-set_serial', '2', '-days', '2',
    '-extfile', extensions, '-extensions', 'server', '-out', certFile], dir);
  return { caFile, certFile, keyFile };
}

function slapdConfig(dir: string, rootPassword: string, tls: { caFile: string; certFile: string; keyFile: string }): string {
  return `
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
TLSCACertificateFile ${tls.caFile}
TLSCertificateFile ${tls.certFile}
TLSCertificateKeyFile ${tls.keyFile}

database mdb
suffix "${baseDN}"
rootdn "cn=admin,${baseDN}"
rootpw ${rootPassword}
directory ${dir}/db
maxsize 16777216

# Passwords serve binds only; everything else is for bound users. Anonymous searches then find nothing at all
# (slapd answers noSuchObject), as in a directory that does not publish its people.
access to attrs=userPassword
  by anonymous auth
  by self write
  by * none
access to *
  by users read
  by * none
`;
}

function seedLdif(dir: string): string {
  const entries: string[] = [
    `dn: ${baseDN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example`,
    ...['people', 'groups', 'services'].map((ou) => `dn: ou=${ou},${baseDN}\nobjectClass: organizationalUnit\nou: ${ou}`),
    `dn: ${serviceDN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: berth\n` +
      `userPassword: ${hashPassword(servicePassword, dir)}`,
    ...seedUsers.map((uid) => {
      const name = uid[0]!.toUpperCase() + uid.slice(1);
      return `dn: ${userDN(uid)}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${name} Example\nsn: Example\n` +
        `mail: ${uid}@example.org\nuserPassword: ${hashPassword(`${uid}-secret`, dir)}`;
    }),
    ...Object.entries(seedGroups).map(([name, members]) =>
      `dn: cn=${name},ou=groups,${baseDN}\nobjectClass: groupOfNames\ncn: ${name}\n` +
        members.map((uid) => `member: ${userDN(uid)}`).join('\n')),
  ];
  return `${entries.join('\n\n')}\n`;
}

/**
 * Servers started and not yet stopped, with their folders: killed and removed if the test process exits first
 * (a crash, process.exit in a test). Only synchronous work runs in an exit handler, which kill and rmSync are.
 */
const running = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [child, dir] of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

export async function startSlapd(): Promise<Slapd> {
  if (!existsSync(slapdBinary)) throw new Error('OpenLDAP is not installed: install the Debian packages slapd and ldap-utils');
  const dir = mkdtempSync(join(tmpdir(), 'berth-slapd-'));
  let child: ChildProcess | undefined;
  try {
    mkdirSync(join(dir, 'db'));
    const tls = makeCertificates(dir);
    const config = join(dir, 'slapd.conf');
    writeFileSync(config, slapdConfig(dir, hashPassword('admin-secret', dir), tls));
    writeFileSync(join(dir, 'seed.ldif'), seedLdif(dir));
    run('/usr/sbin/slaptest', ['-f', config, '-u'], dir);
    run('/usr/sbin/slapadd', ['-f', config, '-l', join(dir, 'seed.ldif')], dir);

    const port = await freePort();
    const ldapsPort = await freePort();
    const url = `ldap://127.0.0.1:${port}`;
    const ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
    // -d 0 keeps slapd in the foreground (no fork), so this child is the server itself and killing it stops it.
    child = spawn(slapdBinary, ['-f', config, '-h', `${url}/ ${ldapsUrl}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.set(child, dir);
    let stderr = '';
    child.stderr!.on('data', (data: Buffer) => { if (stderr.length < 64 * 1024) stderr += data.toString(); });
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    await waitUntilReady(child, url, () => stderr);
    const server = child;
    return {
      url,
      ldapsUrl,
      caFile: tls.caFile,
      baseDN,
      bindDN: serviceDN,
      bindPassword: servicePassword,
      async stop() {
        try {
          if (server.exitCode === null && server.signalCode === null) {
            server.kill('SIGTERM');
            const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
            await exited;
            clearTimeout(timer);
          }
        } finally {
          running.delete(server);
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    if (child) {
      running.delete(child);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Ready means the service account can bind: the listener is up, and the seed and its ACLs are in place. */
async function waitUntilReady(child: ChildProcess, url: string, stderr: () => string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`slapd exited at start:\n${stderr()}`);
    const client = new Client({ url, connectTimeout: 1000, timeout: 1000 });
    const up = await client.bind(serviceDN, servicePassword).then(() => true, () => false);
    await client.unbind().catch(() => undefined);
    if (up) return;
    if (attempt > 200) throw new Error(`slapd did not accept the service account's bind on ${url}:\n${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { apkInstalledPaths, parseApkInstalled } from '../../src/scanning/inventory/apk-installed.js';
import { dpkgListedPaths, dpkgMd5sumsPaths, parseDpkgStatus } from '../../src/scanning/inventory/dpkg-status.js';
import { identifyDistro, parseOsRelease } from '../../src/scanning/inventory/os-release.js';
import type { Distro } from '../../src/scanning/model.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scanning/inventory');
const text = (relative: string): string => readFileSync(path.join(fixtures, relative), 'utf8');
const expected = JSON.parse(text('expected-inventories.json'));
const debian12: Distro = { id: 'debian', versionId: '12', ecosystem: 'Debian:12' };

/** `dpkg-query -W` over the fixture's status, recorded once (see SOURCES.md): status, name, version, source, arch. */
function dpkgQuery(variant: string): { status: string; name: string; version: string; source: string; sourceVersion: string; arch: string }[] {
  return text(`debian/dpkg-query/${variant}.txt`)
    .trim()
    .split('\n')
    .map((line) => {
      const [status, name, version, source, sourceVersion, arch] = line.split('\t') as [string, string, string, string, string, string];
      return { status: status.trim(), name, version, source, sourceVersion, arch };
    });
}

describe('os-release', () => {
  it('identifies the fixtures\' distros and their OSV ecosystems', () => {
    assert.deepEqual(identifyDistro({ osRelease: text('debian/bookworm-12.15-minbase/etc/os-release') }), {
      id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', ecosystem: 'Debian:12',
    });
    assert.deepEqual(identifyDistro({ osRelease: text('alpine/3.20.3/etc/os-release') }), {
      id: 'alpine', versionId: '3.20.3', prettyName: 'Alpine Linux v3.20', ecosystem: 'Alpine:v3.20',
    });
    assert.equal(identifyDistro({ osRelease: text('alpine/3.10.9/etc/os-release') })?.ecosystem, expected['alpine-3.10.9'].ecosystem);
  });

  it('falls back to debian_version and alpine-release when os-release is missing', () => {
    assert.deepEqual(identifyDistro({ debianVersion: text('debian/bookworm-12.15-minbase/etc/debian_version') }), {
      id: 'debian', versionId: '12.15', ecosystem: 'Debian:12',
    });
    assert.deepEqual(identifyDistro({ alpineRelease: text('alpine/3.20.3/etc/alpine-release') }), {
      id: 'alpine', versionId: '3.20.3', ecosystem: 'Alpine:v3.20',
    });
    assert.equal(identifyDistro({}), undefined);
  });

  it('names Ubuntu LTS releases, Rocky and Alma, and nothing for distros it cannot name surely', () => {
    const osRelease = (fields: string): Distro | undefined => identifyDistro({ osRelease: fields });
    assert.equal(osRelease('ID=ubuntu\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\n')?.ecosystem, 'Ubuntu:22.04:LTS');
    assert.equal(osRelease('ID=ubuntu\nVERSION_ID="23.10"\nVERSION="23.10 (Mantic Minotaur)"\n')?.ecosystem, 'Ubuntu:23.10');
    assert.equal(osRelease('ID="rocky"\nVERSION_ID="9.3"\n')?.ecosystem, 'Rocky Linux:9');
    assert.equal(osRelease('ID="almalinux"\nVERSION_ID="8.9"\n')?.ecosystem, 'AlmaLinux:8');
    assert.equal(osRelease('ID="rhel"\nVERSION_ID="9.3"\n')?.ecosystem, undefined, 'Red Hat is keyed by product CPE');
    assert.equal(osRelease('ID=alpine\nVERSION_ID=3.21.0_alpha20240807\n')?.ecosystem, undefined, 'edge has no OSV data');
    const sid = identifyDistro({ osRelease: 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nID=debian\n', debianVersion: 'trixie/sid\n' });
    assert.deepEqual(sid, { id: 'debian', versionId: 'trixie/sid', prettyName: 'Debian GNU/Linux trixie/sid' });
  });

  it('reads quoting and skips junk lines', () => {
    const fields = parseOsRelease('# comment\nNAME=\'Some "OS"\'\nBROKEN="unterminated\n=nokey\nlower=x\nID=x\\\n\0\0\0');
    assert.deepEqual([...fields], [['NAME', 'Some "OS"'], ['ID', 'x\\']]);
    assert.equal(identifyDistro({ osRelease: '\u0000\u00ff garbage' }), undefined);
    assert.equal(identifyDistro({ osRelease: 'ID="../../etc"\n' }), undefined, 'an id that is no name is refused');
  });
});

describe('dpkg status', () => {
  for (const variant of ['bookworm-12.15-minbase', 'bookworm-12.15-minbase-apt-removed']) {
    it(`yields exactly what dpkg-query lists as installed (${variant})`, () => {
      const packages = parseDpkgStatus(text(`debian/${variant}/var/lib/dpkg/status`), { path: 'var/lib/dpkg/status', distro: debian12 });
      const installed = dpkgQuery(variant).filter((row) => row.status === 'ii');
      assert.deepEqual(
        packages.map((pkg) => [pkg.name, pkg.version, pkg.sourceName, pkg.sourceVersion, pkg.arch]),
        installed.map((row) => [row.name, row.version, row.source, row.sourceVersion, row.arch]),
      );
      for (const inFinding of expected[`debian-${variant}`].packages_in_findings) {
        const pkg = packages.find((candidate) => candidate.name === inFinding.binary);
        assert.deepEqual([pkg?.sourceName, pkg?.version, pkg?.sourceVersion], [inFinding.source, inFinding.installed, inFinding.installed_source_version]);
      }
      assert.ok(packages.every((pkg) => pkg.kind === 'dpkg' && pkg.ecosystem === 'Debian:12' && pkg.path === 'var/lib/dpkg/status'));
    });
  }

  it('leaves out the removed apt but keeps libapt-pkg6.0, and handles binNMUs and binary-only epochs', () => {
    const packages = parseDpkgStatus(text('debian/bookworm-12.15-minbase-apt-removed/var/lib/dpkg/status'), { path: 'var/lib/dpkg/status', distro: debian12 });
    assert.equal(packages.length, 87);
    assert.equal(packages.find((pkg) => pkg.name === 'apt'), undefined);
    assert.equal(packages.find((pkg) => pkg.name === 'libapt-pkg6.0')?.sourceName, 'apt');
    const bash = packages.find((pkg) => pkg.name === 'bash')!;
    assert.deepEqual([bash.version, bash.sourceVersion], ['5.2.15-2+b13', '5.2.15-2']);
    const bsdutils = packages.find((pkg) => pkg.name === 'bsdutils')!;
    assert.deepEqual([bsdutils.version, bsdutils.sourceName, bsdutils.sourceVersion], ['1:2.38.1-5+deb12u3', 'util-linux', '2.38.1-5+deb12u3']);
    assert.equal(bsdutils.purl, 'pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12');
  });

  it('reads distroless status.d stanzas, which have no Status, but honours one that is there', () => {
    const stanza = 'Package: libssl3\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\nSource: openssl\n';
    const [pkg] = parseDpkgStatus(stanza, { path: 'var/lib/dpkg/status.d/libssl3', distro: debian12 }, false);
    assert.deepEqual(
      [pkg?.name, pkg?.version, pkg?.sourceName, pkg?.sourceVersion, pkg?.path],
      ['libssl3', '3.0.15-1~deb12u1', 'openssl', '3.0.15-1~deb12u1', 'var/lib/dpkg/status.d/libssl3'],
    );
    assert.deepEqual(parseDpkgStatus(stanza, { path: 'var/lib/dpkg/status' }), [], 'the main status file needs a Status');
    assert.deepEqual(parseDpkgStatus(`${stanza}Status: deinstall ok config-files\n`, { path: 'x' }, false), []);
  });

  it('reads the file lists dpkg keeps', () => {
    assert.deepEqual(dpkgListedPaths('/.\n/usr\n/usr/bin/tiny\n\nrelative\n'), ['usr', 'usr/bin/tiny']);
    assert.deepEqual(dpkgMd5sumsPaths('0123456789abcdef0123456789abcdef  usr/bin/tiny\nnot a line\n'), ['usr/bin/tiny']);
  });

  it('skips a 50 MB line and stanzas without a usable name or version, without throwing', () => {
    const huge = 'x'.repeat(50 * 1024 * 1024);
    const status = [
      'Package: first\nStatus: install ok installed\nVersion: 1.0-1',
      `Package: second\nStatus: install ok installed\nDescription: ${huge}\nVersion: 2.0-1`,
      `Package: ${huge}\nStatus: install ok installed\nVersion: 3.0`,
      'Package: spaced name\nStatus: install ok installed\nVersion: 1',
      'Package: noversion\nStatus: install ok installed',
      'Package: last\r\nStatus: install ok installed\r\nVersion: 4.0\r\nSource: src (junk',
    ].join('\n\n');
    const packages = parseDpkgStatus(status, { path: 'var/lib/dpkg/status' });
    assert.deepEqual(
      packages.map((pkg) => [pkg.name, pkg.version, pkg.sourceName, pkg.ecosystem]),
      [['first', '1.0-1', 'first', ''], ['second', '2.0-1', 'second', ''], ['last', '4.0', 'last', '']],
    );
    assert.deepEqual(parseDpkgStatus('\u0000\u00ff\n\n\n:::\n \n', { path: 'x' }), []);
  });
});

describe('apk installed database', () => {
  for (const release of ['3.10.9', '3.20.3']) {
    it(`yields exactly the packages of Alpine ${release}`, () => {
      const distro = identifyDistro({ osRelease: text(`alpine/${release}/etc/os-release`) });
      const packages = parseApkInstalled(text(`alpine/${release}/lib/apk/db/installed`), { path: 'lib/apk/db/installed', distro });
      assert.deepEqual(
        packages.map((pkg) => ({ package: pkg.name, version: pkg.version, origin: pkg.sourceName })),
        expected[`alpine-${release}`].packages,
      );
      assert.ok(packages.every((pkg) => pkg.kind === 'apk' && pkg.ecosystem === expected[`alpine-${release}`].ecosystem && pkg.arch === 'x86_64'));
    });
  }

  it('writes apk purls with the distro', () => {
    const distro = identifyDistro({ osRelease: text('alpine/3.20.3/etc/os-release') });
    const packages = parseApkInstalled(text('alpine/3.20.3/lib/apk/db/installed'), { path: 'lib/apk/db/installed', distro });
    assert.equal(packages.find((pkg) => pkg.name === 'libssl3')?.purl, 'pkg:apk/alpine/libssl3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3');
  });

  it('lists the files each package installed', () => {
    const paths = apkInstalledPaths(text('alpine/3.20.3/lib/apk/db/installed'));
    assert.ok(paths.includes('bin/busybox'));
    assert.ok(paths.includes('etc/motd'));
    assert.ok(paths.includes('lib/ld-musl-x86_64.so.1'));
    assert.ok(!paths.some((p) => p.startsWith('/') || p.includes('//')));
  });

  it('skips blocks without a name or version and overlong lines', () => {
    const db = `P:ok\nV:1.0-r0\n\nP:noversion\n\nV:2.0-r0\n\nP:${'y'.repeat(100_000)}\nV:1\n\nP:has space\nV:1\n\n\u0000\u00ff`;
    assert.deepEqual(parseApkInstalled(db, { path: 'lib/apk/db/installed' }).map((pkg) => [pkg.name, pkg.sourceName]), [['ok', 'ok']]);
  });
});

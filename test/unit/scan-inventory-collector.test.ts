import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Zippable, zipSync } from 'fflate';
import { InventoryCollector, sourceRpmName } from '../../src/scanning/inventory/inventory-collector.js';
import type { InstalledPackage, Inventory } from '../../src/scanning/model.js';

const testRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.join(testRoot, 'fixtures/scanning/inventory');
const rpmFixtures = path.join(testRoot, 'fixtures/scanning/rpm');
const expected = JSON.parse(readFileSync(path.join(fixtures, 'expected-inventories.json'), 'utf8'));

/** One entry of an image's merged view, as the layer walker offers it. */
type Entry = { file: string; bytes: Buffer; mode?: number } | { link: string; target: string; hard?: boolean };

/** The files of a fixture folder as entries under `root`, `_node_modules` folders under their real name. */
function tree(folder: string, root = ''): Entry[] {
  const base = path.join(fixtures, folder);
  return readdirSync(base, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const relative = path.relative(base, path.join(entry.parentPath, entry.name)).replaceAll('_node_modules', 'node_modules');
      return { file: path.posix.join(root, relative), bytes: readFileSync(path.join(entry.parentPath, entry.name)) };
    });
}

const file = (name: string, content: string | Uint8Array, mode = 0o644): Entry => ({ file: name, bytes: Buffer.from(content), mode });
const fixture = (relative: string, name: string, mode = 0o644): Entry => ({ file: name, bytes: readFileSync(path.join(fixtures, relative)), mode });
const link = (name: string, target: string, hard = false): Entry => ({ link: name, target, hard });
const goBinary = (name: string): Entry => fixture('go/tiny-go1.19.8-linux-amd64', name, 0o755);

/** Drives a collector the way the walker does: `wants` for every regular file, `take` for the wanted ones. */
async function collect(entries: Entry[]): Promise<Inventory> {
  const collector = new InventoryCollector();
  for (const entry of entries) {
    if ('link' in entry) collector.link(entry.link, entry.target, entry.hard ?? false);
    else if (collector.wants(entry.file, entry.bytes.length, entry.mode ?? 0o644)) await collector.take(entry.file, entry.bytes);
  }
  return collector.finish();
}

const of = (inventory: Inventory, kind: InstalledPackage['kind']) => inventory.packages.filter((pkg) => pkg.kind === kind);
const ids = (packages: InstalledPackage[]) => packages.map((pkg) => `${pkg.name}@${pkg.version} ${pkg.path}`);

/** A jar holding the pom.properties of one fixture jar. */
function jar(name: string): Buffer {
  const entries: Zippable = {};
  for (const entry of tree(`maven/usr/share/java/${name}`)) if ('file' in entry) entries[entry.file] = entry.bytes;
  return Buffer.from(zipSync(entries));
}

// Debian 12 as debootstrap leaves it: etc/os-release is a link to ../usr/lib/os-release, and after the /usr merge
// bin is a link to usr/bin.
const debianBase = (status = 'debian/bookworm-12.15-minbase/var/lib/dpkg/status'): Entry[] => [
  link('etc/os-release', '../usr/lib/os-release'),
  fixture('debian/bookworm-12.15-minbase/etc/os-release', 'usr/lib/os-release'),
  fixture('debian/bookworm-12.15-minbase/etc/debian_version', 'etc/debian_version'),
  fixture(status, 'var/lib/dpkg/status'),
  link('bin', 'usr/bin'),
];

describe('the inventory collector', () => {
  it('reads a Debian image: os-release through its link, dpkg, and language packages dpkg does not own', async () => {
    const inventory = await collect([
      ...debianBase(),
      ...tree('python'),
      // python3-django owns its egg-info, listed under /usr/lib; the Go binary is listed as /bin/tiny, reached
      // through the bin → usr/bin link.
      file('var/lib/dpkg/info/python3-django.list', '/.\n/usr\n/usr/lib/python3/dist-packages/Django-3.2.25.egg-info\n/usr/lib/python3/dist-packages/Django-3.2.25.egg-info/PKG-INFO\n'),
      file('var/lib/dpkg/info/tiny.list', '/bin/tiny\n'),
      goBinary('usr/bin/tiny'),
      goBinary('usr/local/bin/tiny'),
      file('usr/local/bin/script', '#!/bin/sh\necho hi\n', 0o755),
      file('usr/share/java/snakeyaml.jar', jar('snakeyaml.jar')),
    ]);
    assert.deepEqual(inventory.distro, { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', ecosystem: 'Debian:12' });
    const dpkg = of(inventory, 'dpkg');
    assert.equal(dpkg.length, 88);
    for (const inFinding of expected['debian-bookworm-12.15-minbase'].packages_in_findings) {
      const pkg = dpkg.find((candidate) => candidate.name === inFinding.binary);
      assert.deepEqual([pkg?.sourceName, pkg?.version, pkg?.sourceVersion], [inFinding.source, inFinding.installed, inFinding.installed_source_version]);
    }
    assert.deepEqual(
      of(inventory, 'pypi').map((pkg) => pkg.name),
      ['jinja2', 'pyyaml', 'certifi', 'cryptography', 'cryptography', 'idna', 'requests', 'urllib3', 'pip', 'setuptools'],
      'every fixture distribution but Django, which python3-django installed, in the order of their paths',
    );
    assert.deepEqual(ids(of(inventory, 'go')), [
      'stdlib@1.19.8 usr/local/bin/tiny',
      'example.com/greet@1.4.2 usr/local/bin/tiny',
      'example.com/shout-fork@0.3.1 usr/local/bin/tiny',
    ]);
    assert.deepEqual(ids(of(inventory, 'maven')), ['org.yaml:snakeyaml@1.33 usr/share/java/snakeyaml.jar']);
  });

  it('leaves out the apt that was removed, and keeps libapt-pkg6.0', async () => {
    const inventory = await collect(debianBase('debian/bookworm-12.15-minbase-apt-removed/var/lib/dpkg/status'));
    const dpkg = of(inventory, 'dpkg');
    assert.equal(dpkg.length, 87);
    assert.equal(dpkg.find((pkg) => pkg.name === 'apt'), undefined);
    assert.deepEqual(expected['debian-bookworm-12.15-minbase-apt-removed'].must_not_report.map((m: { binary: string }) => m.binary), ['apt']);
    assert.equal(dpkg.find((pkg) => pkg.name === 'libapt-pkg6.0')?.ecosystem, 'Debian:12');
  });

  for (const release of ['3.10.9', '3.20.3']) {
    it(`reads Alpine ${release}, leaving out a binary apk owns`, async () => {
      const inventory = await collect([...tree(`alpine/${release}`), goBinary('bin/busybox'), goBinary('app/server')]);
      assert.equal(inventory.distro?.ecosystem, expected[`alpine-${release}`].ecosystem);
      assert.deepEqual(
        of(inventory, 'apk').map((pkg) => ({ package: pkg.name, version: pkg.version, origin: pkg.sourceName })),
        expected[`alpine-${release}`].packages,
      );
      assert.deepEqual([...new Set(of(inventory, 'go').map((pkg) => pkg.path))], ['app/server'], 'bin/busybox is apk\'s');
    });
  }

  it('finds apk\'s database under usr/lib when lib/apk/db links there, and alpine-release without os-release', async () => {
    const inventory = await collect([
      link('lib/apk/db', '../../usr/lib/apk/db'),
      fixture('alpine/3.20.3/lib/apk/db/installed', 'usr/lib/apk/db/installed'),
      fixture('alpine/3.20.3/etc/alpine-release', 'etc/alpine-release'),
    ]);
    assert.deepEqual(inventory.distro, { id: 'alpine', versionId: '3.20.3', ecosystem: 'Alpine:v3.20' });
    assert.equal(of(inventory, 'apk').length, 14);
    assert.ok(of(inventory, 'apk').every((pkg) => pkg.path === 'usr/lib/apk/db/installed'));
  });

  it('reads a distroless image\'s status.d, skipping md5sums and what they list', async () => {
    const inventory = await collect([
      fixture('debian/bookworm-12.15-minbase/etc/os-release', 'etc/os-release'),
      file('var/lib/dpkg/status.d/libssl3', 'Package: libssl3\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\nSource: openssl\n'),
      file('var/lib/dpkg/status.d/tzdata', 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n'),
      file('var/lib/dpkg/status.d/tiny.md5sums', '0123456789abcdef0123456789abcdef  usr/bin/tiny\n'),
      goBinary('usr/bin/tiny'),
    ]);
    assert.deepEqual(
      inventory.packages.map((pkg) => [pkg.name, pkg.sourceName, pkg.path, pkg.ecosystem]),
      [
        ['libssl3', 'openssl', 'var/lib/dpkg/status.d/libssl3', 'Debian:12'],
        ['tzdata', 'tzdata', 'var/lib/dpkg/status.d/tzdata', 'Debian:12'],
      ],
    );
  });

  it('reads an rpm Berkeley DB with the rpm reader, source name from SOURCERPM', async () => {
    const inventory = await collect([
      file('etc/os-release', 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="8.8"\n'),
      { file: 'var/lib/rpm/Packages', bytes: readFileSync(path.join(rpmFixtures, 'bdb-libuuid/Packages')) },
    ]);
    const [want] = expected['rpm-libuuid'].packages;
    assert.deepEqual(inventory.packages, [
      {
        kind: 'rpm', name: want.name, version: `${want.version}-${want.release}`, sourceName: 'util-linux', ecosystem: '',
        purl: 'pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&distro=rhel-8.8', path: 'var/lib/rpm/Packages', arch: want.arch,
      },
    ]);
  });

  it('writes rpm epochs into the version, and names Rocky\'s ecosystem', async () => {
    const inventory = await collect([
      file('etc/os-release', 'ID="rocky"\nVERSION_ID="9.3"\nVERSION="9.3 (Blue Onyx)"\n'),
      { file: 'usr/lib/sysimage/rpm/Packages.db', bytes: readFileSync(path.join(rpmFixtures, 'ndb/Packages.db')) },
    ]);
    const expectedRows = readFileSync(path.join(rpmFixtures, 'ndb/rpm-qa.txt'), 'utf8').trim().split('\n');
    assert.equal(inventory.packages.length, expectedRows.length);
    const tiny = inventory.packages.find((pkg) => pkg.name === 'berth-tiny')!;
    assert.deepEqual([tiny.version, tiny.sourceName, tiny.ecosystem], ['7:1.2.3-4.test', 'berth-tiny', 'Rocky Linux:9']);
    assert.equal(tiny.purl, 'pkg:rpm/rocky/berth-tiny@1.2.3-4.test?arch=noarch&distro=rocky-9.3&epoch=7');
    assert.equal(inventory.packages.find((pkg) => pkg.name === 'berth-plain+tools')?.version, '2.0~rc1-1');
  });

  it('reads an npm app installed in an image: its packages, not the app', async () => {
    const inventory = await collect(tree('npm/app', 'srv/app'));
    assert.deepEqual(
      inventory.packages.map((pkg) => ({ file: pkg.path.replace('srv/app/', 'npm/app/'), name: pkg.name, version: pkg.version })),
      expected.npm.packages,
    );
    assert.equal(inventory.distro, undefined);
  });

  it('reads every Maven fixture jar', async () => {
    const names = readdirSync(path.join(fixtures, 'maven/usr/share/java'));
    const inventory = await collect(names.map((name) => file(`usr/share/java/${name}`, jar(name))));
    assert.deepEqual(
      inventory.packages.map((pkg) => ({ name: pkg.name, version: pkg.version })),
      expected.maven.packages.map((p: { name: string; version: string }) => ({ name: p.name, version: p.version })),
    );
  });

  it('wants only what it reads, within its size caps', () => {
    const collector = new InventoryCollector();
    assert.ok(collector.wants('var/lib/dpkg/status', 50 * 1024 * 1024, 0o644));
    assert.ok(!collector.wants('var/lib/dpkg/status', 100 * 1024 * 1024, 0o644));
    assert.ok(!collector.wants('etc/os-release', 1024 * 1024, 0o644));
    assert.ok(collector.wants('usr/bin/anything', 10_000, 0o755));
    assert.ok(!collector.wants('usr/bin/anything', 10_000, 0o644));
    assert.ok(!collector.wants('usr/share/doc/README', 100, 0o644));
    assert.ok(!collector.wants('var/lib/dpkg/status.d/sub/dir', 100, 0o644));
    assert.ok(!collector.wants('var/lib/dpkg/info/bash.md5sums', 100, 0o644));
    assert.ok(collector.wants('var/lib/dpkg/info/bash.list', 100, 0o644));
    assert.ok(collector.wants('opt/app.jar', 100 * 1024 * 1024, 0o644));
    assert.ok(!collector.wants('opt/app.jar', 300 * 1024 * 1024, 0o644));
  });

  it('survives hostile images: junk in every wanted file, a 50 MB status line, a link loop', async () => {
    const junk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 251;
    const paths = ['etc/alpine-release', 'var/lib/dpkg/status.d/x', 'var/lib/dpkg/info/x.list', 'lib/apk/db/installed', 'var/lib/rpm/Packages', 'usr/lib/sysimage/rpm/rpmdb.sqlite',
      'usr/share/rpm/Packages.db', 'node_modules/x/package.json', 'x.dist-info/METADATA', 'x.egg-info', 'x.jar', 'usr/bin/x'];
    const junkInventory = await collect([
      ...paths.map((name) => ({ file: name, bytes: junk, mode: 0o755 })),
      file('usr/bin/elf', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), junk]), 0o755),
      link('etc/os-release', 'os-release.d/os-release'),
      link('etc/os-release.d', '../etc'),
      file('var/lib/dpkg/status', `Package: a\nStatus: install ok installed\nDescription: ${'x'.repeat(50 * 1024 * 1024)}\nVersion: 1\n`),
    ]);
    assert.deepEqual(junkInventory.packages.map((pkg) => `${pkg.kind} ${pkg.name}@${pkg.version}`), ['dpkg a@1']);
    assert.equal(junkInventory.distro?.id, 'alpine', 'the junk alpine-release still says alpine; the os-release loop is ignored');
  });

  it('takes a source rpm\'s name', () => {
    assert.equal(sourceRpmName('util-linux-2.32.1-42.el8_8.src.rpm'), 'util-linux');
    assert.equal(sourceRpmName('berth-plain+tools-2.0~rc1-1.nosrc.rpm'), 'berth-plain+tools');
    assert.equal(sourceRpmName('nodashes.src.rpm'), undefined);
    assert.equal(sourceRpmName('util-linux-2.32.1-42.el8_8'), undefined);
    assert.equal(sourceRpmName(undefined), undefined);
  });
});

/**
 * Inventories of images whose file trees the test makes with the real tools, each checked, package by package,
 * against the answer of the format's own tool: a Debian bookworm root made by `debootstrap --variant=minbase` (its
 * dpkg database written by its own dpkg) against `dpkg-query`; Go programs built here by Debian's `go` from modules
 * published to a folder proxy (a dependency, a module replaced by a fork, a local replacement, a release installed
 * with `go install path@version`, PIE and 32-bit big-endian builds) against `go version -m`; jars zipped here by Info-ZIP (plain,
 * shaded, a Spring Boot jar with stored nested jars, a war nesting a jar in a jar) against the coordinates put in.
 * The inventory is read from the store as the scan left it; the report's count and distro must agree.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StoredPackage } from '../../src/metadata/scan-store.js';
import { adminPassword, startApiBerth, type ApiBerth } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { debianRootArchive, dpkgQuery, extractMembers, isInstalled, osReleaseBySh } from '../support/debian-root.js';
import { GoWorkspace, modulesOfVersionM, writeFile } from '../support/go-builds.js';
import { pomProperties, zipFolder } from '../support/jar-builder.js';
import {
  feedFolder, imageTypes, pushManifest, pushTreeImage, reportWhen, scanFixtures, sha256, type PushedManifest, type RegistryTarget,
  type VulnerabilityReport,
} from '../support/scanning.js';
import { storedInventory } from '../support/stored-inventory.js';

const finished = (report: VulnerabilityReport): boolean => report.status === 'done' || report.status === 'failed';
// The purl spec percent-encodes a name's and a version's `+` (libstdc%2B%2B6), and lets `:` stand.
const purlSegment = (text: string): string => encodeURIComponent(text).replaceAll('%3A', ':');

/** Pushes a one-layer image whose layer is an uncompressed tar archive, as `docker save` keeps them. */
async function pushArchiveImage(target: RegistryTarget, repository: string, reference: string, tar: Buffer): Promise<PushedManifest> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }));
  return pushManifest(target, repository, reference, {
    schemaVersion: 2, mediaType: imageTypes.manifest,
    config: { mediaType: imageTypes.config, digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(tar), size: tar.length }],
  }, [config, tar]);
}

describe('inventories of images built from real file trees', { timeout: 15 * 60_000 }, () => {
  let work: string;
  let feed: ReturnType<typeof feedFolder>;
  let api: ApiBerth;
  let target: RegistryTarget;

  /** Pushes, waits for the scan to end well, and answers the report and the inventory it stored. */
  async function scanned(repository: string, push: () => Promise<PushedManifest>): Promise<{ report: VulnerabilityReport; stored: StoredPackage[] }> {
    const image = await push();
    const report = await reportWhen(api.admin, repository, image.digest, finished);
    assert.equal(report.status, 'done', `the scan failed: ${report.platforms[0]!.reason}`);
    const stored = await storedInventory(api.registry.dataDir, image.digest);
    assert.equal(report.platforms[0]!.packages, stored.length, 'the report counts what was stored');
    return { report, stored };
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'berth-real-trees-'));
    feed = feedFolder({ Debian: 'debian', Go: 'go', Maven: 'maven' });
    api = await startApiBerth({ scanning: { feed: feed.path } });
    target = { url: api.registry.url, authorization: basic('admin', adminPassword) };
  });
  after(async () => {
    await api?.close();
    feed?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('records exactly the packages dpkg-query lists in a debootstrap root of Debian bookworm', async () => {
    const archive = debianRootArchive();
    const reference = join(work, 'debian');
    mkdirSync(reference);
    extractMembers(archive, reference, ['./var/lib/dpkg', './usr/lib/os-release']);
    const installed = dpkgQuery(join(reference, 'var/lib/dpkg')).filter(isInstalled);
    assert.ok(installed.length > 50, `${installed.length} packages installed`);
    // Each form of the Source field is in the root: none, `Source: name`, and `Source: name (version)` of a binNMU.
    assert.ok(installed.some((pkg) => pkg.sourceName === pkg.name && pkg.sourceVersion === pkg.version), 'a package that is its own source');
    assert.ok(installed.some((pkg) => pkg.sourceName !== pkg.name && pkg.sourceVersion === pkg.version), 'libc6 from glibc');
    assert.ok(installed.some((pkg) => pkg.sourceVersion !== pkg.version), 'bash 5.2.15-2+b… from bash 5.2.15-2');
    const os = osReleaseBySh(join(reference, 'usr/lib/os-release'), ['ID', 'VERSION_ID', 'PRETTY_NAME']);
    assert.deepEqual([os.ID, os.VERSION_ID], ['debian', '12']);

    const { report, stored } = await scanned('team/debian', () => pushArchiveImage(target, 'team/debian', 'bookworm', readFileSync(archive)));
    assert.deepEqual(report.platforms[0]!.distro, { id: 'debian', versionId: '12', prettyName: os.PRETTY_NAME, ecosystem: 'Debian:12' });
    const line = (pkg: { name: string; version: string; sourceName?: string; sourceVersion?: string; arch?: string }): string =>
      `${pkg.name} ${pkg.version} source ${pkg.sourceName} ${pkg.sourceVersion} ${pkg.arch}`;
    assert.deepEqual(stored.map(line).sort(), installed.map(line).sort());
    for (const pkg of stored) {
      assert.deepEqual([pkg.kind, pkg.ecosystem, pkg.path], ['dpkg', 'Debian:12', 'var/lib/dpkg/status'], pkg.name);
      assert.equal(pkg.purl, `pkg:deb/debian/${purlSegment(pkg.name)}@${purlSegment(pkg.version)}?arch=${pkg.arch}&distro=debian-12`);
    }
  });

  it('records the modules `go version -m` lists in Go binaries built here by Debian\'s go', async () => {
    const go = new GoWorkspace(join(work, 'go'));
    go.publish({ path: 'example.com/greet', version: 'v1.4.2', files: { 'greet.go': 'package greet\n\nfunc Hello() string { return "hello" }\n' } });
    go.publish({
      path: 'example.com/shout-fork', version: 'v0.3.1', module: 'example.com/shout',
      files: { 'shout.go': 'package shout\n\nimport "strings"\n\nfunc Loud(s string) string { return strings.ToUpper(s) + "!" }\n' },
    });
    const source = join(work, 'go', 'src');
    writeFile(join(source, 'local/go.mod'), 'module example.com/local\n\ngo 1.19\n');
    writeFile(join(source, 'local/local.go'), 'package local\n\nfunc Name() string { return "local" }\n');
    writeFile(join(source, 'app/go.mod'), [
      'module example.com/app', '', 'go 1.19', '',
      'require (', '\texample.com/greet v1.4.2', '\texample.com/local v1.0.0', '\texample.com/shout v0.3.0', ')', '',
      'replace example.com/shout v0.3.0 => example.com/shout-fork v0.3.1', '',
      'replace example.com/local => ../local', '',
    ].join('\n'));
    writeFile(join(source, 'app/main.go'), [
      'package main', '', 'import (', '\t"os"', '', '\t"example.com/greet"', '\t"example.com/local"', '\tshout "example.com/shout"', ')', '',
      'func main() { os.Stdout.WriteString(shout.Loud(greet.Hello()+" "+local.Name()) + "\\n") }', '',
    ].join('\n'));
    const tree = join(work, 'go-tree');
    go.build(join(source, 'app'), join(tree, 'usr/local/bin/app'));
    // A position-independent build, and a 32-bit big-endian one (MIPS): other ELF layouts, the same build info.
    go.build(join(source, 'app'), join(tree, 'usr/local/bin/app-pie'), 'amd64', ['-buildmode=pie']);
    go.build(join(source, 'app'), join(tree, 'usr/local/bin/app-mips'), 'mips');
    // A released tool, installed by its version: its main module is stamped with it. Its go.sum is the one go wrote.
    const greetSums = readFileSync(join(source, 'app/go.sum'), 'utf8').split('\n').filter((entry) => entry.startsWith('example.com/greet ')).join('\n');
    go.publish({
      path: 'example.com/tool', version: 'v1.0.0', requires: ['example.com/greet v1.4.2'],
      files: { 'main.go': 'package main\n\nimport (\n\t"os"\n\n\t"example.com/greet"\n)\n\nfunc main() { os.Stdout.WriteString(greet.Hello() + "\\n") }\n', 'go.sum': `${greetSums}\n` },
    });
    go.install('example.com/tool@v1.0.0', join(tree, 'usr/bin'), ['-ldflags=-s -w']);
    // An ELF that is not a Go program holds no build info.
    copyFileSync('/usr/bin/env', join(tree, 'usr/bin/env'));

    const stdlib = `stdlib ${go.goVersion().replace(/^go/, '')}`;
    const binaries = { 'usr/local/bin/app': ['example.com/greet 1.4.2', 'example.com/shout-fork 0.3.1', stdlib],
      'usr/local/bin/app-pie': ['example.com/greet 1.4.2', 'example.com/shout-fork 0.3.1', stdlib],
      'usr/local/bin/app-mips': ['example.com/greet 1.4.2', 'example.com/shout-fork 0.3.1', stdlib],
      'usr/bin/tool': ['example.com/greet 1.4.2', 'example.com/tool 1.0.0', stdlib] };
    for (const [path, modules] of Object.entries(binaries)) {
      assert.deepEqual(modulesOfVersionM(go.versionM(join(tree, path))), modules, `go version -m ${path}`);
    }

    const { report, stored } = await scanned('team/go', () => pushTreeImage(target, 'team/go', '1', [tree]));
    assert.equal(report.platforms[0]!.distro, undefined);
    assert.deepEqual(stored.map((pkg) => `${pkg.path} ${pkg.name} ${pkg.version}`).sort(),
      Object.entries(binaries).flatMap(([path, modules]) => modules.map((module) => `${path} ${module}`)).sort());
    for (const pkg of stored) {
      assert.deepEqual([pkg.kind, pkg.ecosystem, pkg.purl], ['go', 'Go', `pkg:golang/${pkg.name}@v${pkg.version}`]);
    }
  });

  it('records the Maven coordinates of jars zipped here: plain, shaded, nested in a Spring Boot jar and in a war', async () => {
    const fixtureJar = (name: string): string => join(scanFixtures, 'inventory/maven/usr/share/java', name);
    const staging = join(work, 'jars');
    let count = 0;
    /** A jar of the fixture jars' META-INF folders named, a manifest, a class, and `files`. */
    const jar = (archive: string, fixtures: readonly string[], files: Record<string, string | Buffer> = {}, nestedJars: 'stored' | 'deflated' = 'stored'): void => {
      const folder = join(staging, `jar-${++count}`);
      for (const fixture of fixtures) cpSync(fixtureJar(fixture), folder, { recursive: true });
      writeFile(join(folder, 'META-INF/MANIFEST.MF'), 'Manifest-Version: 1.0\r\nCreated-By: Maven JAR Plugin 3.3.0\r\n\r\n');
      writeFile(join(folder, `classes/Main${count}.class`), Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 61]));
      for (const [path, content] of Object.entries(files)) writeFile(join(folder, path), content);
      zipFolder(folder, archive, nestedJars);
    };
    const tree = join(work, 'jar-tree');
    const nested = join(work, 'nested');
    jar(join(tree, 'usr/share/java/snakeyaml.jar'), ['snakeyaml.jar']);
    jar(join(tree, 'opt/app/lib/log4j-shaded.jar'), ['log4j-api.jar', 'log4j-core.jar', 'log4j-1.2-api.jar']);
    jar(join(tree, 'opt/app/lib/no-maven.jar'), []);
    jar(join(nested, 'jackson-databind-2.14.0.jar'), ['jackson-databind.jar']);
    jar(join(nested, 'snakeyaml-1.33.jar'), ['snakeyaml.jar']);
    jar(join(tree, 'opt/app/app.jar'), [], {
      'META-INF/maven/com.example/shop-app/pom.properties': pomProperties('com.example', 'shop-app', '2.3.1'),
      'BOOT-INF/lib/jackson-databind-2.14.0.jar': readFileSync(join(nested, 'jackson-databind-2.14.0.jar')),
      'BOOT-INF/lib/snakeyaml-1.33.jar': readFileSync(join(nested, 'snakeyaml-1.33.jar')),
    });
    jar(join(nested, 'log4j-api-2.19.0.jar'), ['log4j-api.jar']);
    jar(join(nested, 'shop-core-2.3.1.jar'), [], {
      'META-INF/maven/com.example/shop-core/pom.properties': pomProperties('com.example', 'shop-core', '2.3.1'),
      'lib/log4j-api-2.19.0.jar': readFileSync(join(nested, 'log4j-api-2.19.0.jar')),
    });
    jar(join(tree, 'srv/webapps/shop.war'), [], { 'WEB-INF/lib/shop-core-2.3.1.jar': readFileSync(join(nested, 'shop-core-2.3.1.jar')) }, 'deflated');

    const { stored } = await scanned('team/java', () => pushTreeImage(target, 'team/java', '1', [tree]));
    assert.deepEqual(stored.map((pkg) => `${pkg.path} ${pkg.name} ${pkg.version}`).sort(), [
      'opt/app/app.jar com.example:shop-app 2.3.1',
      'opt/app/app.jar!/BOOT-INF/lib/jackson-databind-2.14.0.jar com.fasterxml.jackson.core:jackson-databind 2.14.0',
      'opt/app/app.jar!/BOOT-INF/lib/snakeyaml-1.33.jar org.yaml:snakeyaml 1.33',
      'opt/app/lib/log4j-shaded.jar org.apache.logging.log4j:log4j-1.2-api 2.19.0',
      'opt/app/lib/log4j-shaded.jar org.apache.logging.log4j:log4j-api 2.19.0',
      'opt/app/lib/log4j-shaded.jar org.apache.logging.log4j:log4j-core 2.19.0',
      'srv/webapps/shop.war!/WEB-INF/lib/shop-core-2.3.1.jar com.example:shop-core 2.3.1',
      'srv/webapps/shop.war!/WEB-INF/lib/shop-core-2.3.1.jar!/lib/log4j-api-2.19.0.jar org.apache.logging.log4j:log4j-api 2.19.0',
      'usr/share/java/snakeyaml.jar org.yaml:snakeyaml 1.33',
    ]);
    for (const pkg of stored) {
      const [group, artifact] = pkg.name.split(':');
      assert.deepEqual([pkg.kind, pkg.ecosystem, pkg.purl], ['maven', 'Maven', `pkg:maven/${group}/${artifact}@${pkg.version}`]);
    }
  });
});

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Zippable, zipSync } from 'fflate';
import { defaultJavaArchiveLimits, isJavaArchiveName, parsePomProperties, readJavaArchive } from '../../src/scanning/inventory/java-archives.js';
import { isNpmPackageManifest, parseNpmPackageJson } from '../../src/scanning/inventory/npm-packages.js';
import { isPythonMetadataPath, normalisePypiName, parsePythonMetadata } from '../../src/scanning/inventory/python-metadata.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scanning/inventory');
const expected = JSON.parse(readFileSync(path.join(fixtures, 'expected-inventories.json'), 'utf8'));
const read = (relative: string): Buffer => readFileSync(path.join(fixtures, relative));

/** Every regular file under a fixture folder, as paths relative to the fixtures, sorted. */
function filesUnder(relative: string): string[] {
  return readdirSync(path.join(fixtures, relative), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(fixtures, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The fixture keeps `node_modules` folders as `_node_modules`, which git would otherwise ignore. */
const asInstalled = (file: string): string => file.replaceAll('/_node_modules/', '/node_modules/');

/** Deterministic junk bytes (a linear congruential generator), so a failure can be replayed. */
function junk(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

describe('npm package.json', () => {
  it('yields exactly the 87 installed packages of the fixture app, without the app itself', () => {
    const files = new Map(filesUnder('npm').map((file) => [asInstalled(file), file]));
    const manifests = [...files.keys()].filter(isNpmPackageManifest);
    assert.ok(files.has('npm/app/package.json') && !manifests.includes('npm/app/package.json'));
    const packages = manifests.map((file) => parseNpmPackageJson(read(files.get(file)!).toString('utf8'), file)!);
    assert.deepEqual(
      packages.map((pkg) => ({ file: pkg.path, name: pkg.name, version: pkg.version })),
      expected.npm.packages,
    );
    assert.ok(packages.every((pkg) => pkg.kind === 'npm' && pkg.ecosystem === 'npm'));
    assert.equal(packages.find((pkg) => pkg.name === 'qs' && pkg.version === '6.7.0')?.path, 'npm/app/node_modules/body-parser/node_modules/qs/package.json');
  });

  it('knows a package directory from the files inside one', () => {
    assert.ok(isNpmPackageManifest('usr/local/lib/node_modules/npm/package.json'));
    assert.ok(isNpmPackageManifest('app/node_modules/@babel/core/package.json'));
    assert.ok(isNpmPackageManifest('app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json'));
    assert.ok(!isNpmPackageManifest('app/node_modules/@babel/package.json'));
    assert.ok(!isNpmPackageManifest('app/node_modules/axios/dist/esm/package.json'));
    assert.ok(!isNpmPackageManifest('app/node_modules/.bin/package.json'));
    assert.ok(!isNpmPackageManifest('node_modules/package.json'));
  });

  it('writes scoped names into the purl namespace', () => {
    const pkg = parseNpmPackageJson('{"name":"@babel/core","version":"7.24.0"}', 'node_modules/@babel/core/package.json');
    assert.equal(pkg?.purl, 'pkg:npm/%40babel/core@7.24.0');
  });

  it('skips manifests that are not JSON or lack a usable name and version', () => {
    for (const text of ['', 'null', '[]', '{"name":"x"}', '{"name":"x","version":1}', '{"name":"a b","version":"1"}', '{"name":"x","version":"1 2"}', junk(4096, 7).toString('latin1')]) {
      assert.equal(parseNpmPackageJson(text, 'node_modules/x/package.json'), undefined, text.slice(0, 40));
    }
  });
});

describe('Python metadata', () => {
  it('yields exactly the fixture distributions, names normalised per PEP 503', () => {
    const files = filesUnder('python').filter(isPythonMetadataPath);
    const packages = files.map((file) => parsePythonMetadata(read(file).toString('utf8'), file)!);
    assert.deepEqual(
      packages.map((pkg) => ({ file: pkg.path, name: pkg.name, version: pkg.version })),
      expected.pypi.packages.map((p: { file: string; normalized: string; version: string }) => ({ file: p.file, name: p.normalized, version: p.version })),
    );
    assert.ok(packages.every((pkg) => pkg.kind === 'pypi' && pkg.ecosystem === 'PyPI'));
    assert.equal(packages.find((pkg) => pkg.name === 'pyyaml')?.purl, 'pkg:pypi/pyyaml@6.0');
  });

  it('recognises the metadata layouts, an egg-info file included', () => {
    assert.ok(isPythonMetadataPath('usr/lib/python3/dist-packages/six-1.16.0.egg-info'));
    assert.ok(isPythonMetadataPath('site-packages/foo-1.0-py3.11.egg/EGG-INFO/PKG-INFO'));
    assert.ok(!isPythonMetadataPath('site-packages/foo.dist-info/RECORD'));
    assert.ok(!isPythonMetadataPath('site-packages/.egg-info'));
    const egg = parsePythonMetadata('Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\n\nName: not-a-header\n', 'x/six-1.16.0.egg-info');
    assert.deepEqual([egg?.name, egg?.version], ['six', '1.16.0']);
    assert.equal(normalisePypiName('Zope.Interface__x'), 'zope-interface-x');
  });

  it('skips binary junk, a junk version and headers that never end', () => {
    for (let seed = 1; seed <= 20; seed++) assert.equal(parsePythonMetadata(junk(8192, seed).toString('utf8'), 'x/METADATA'), undefined);
    assert.equal(parsePythonMetadata('Name: foo\nVersion: \u0000\u0001\n', 'x/METADATA'), undefined);
    assert.equal(parsePythonMetadata('Name: foo bar\nVersion: 1.0\n', 'x/METADATA'), undefined);
    assert.equal(parsePythonMetadata(`Name: foo\n${'X-Junk: y\n'.repeat(100_000)}Version: 1.0\n`, 'x/METADATA'), undefined);
    assert.equal(parsePythonMetadata(`Name: foo\nVersion: 1.0\n${junk(1_000_000, 3).toString('latin1')}`, 'x/METADATA')?.version, '1.0');
  });
});

/** A jar holding the fixture's pom.properties of one artifact. */
function fixtureJar(jarDirectory: string): Uint8Array {
  const entries: Zippable = { 'META-INF/MANIFEST.MF': Buffer.from('Manifest-Version: 1.0\n') };
  for (const file of filesUnder(jarDirectory)) entries[path.relative(jarDirectory, file)] = read(file);
  return zipSync(entries);
}

const pom = (group: string, artifact: string, version: string): Buffer => Buffer.from(`#Generated by Maven\ngroupId=${group}\nartifactId=${artifact}\nversion=${version}\n`);

/** Rewrites the sizes an entry declares in the central directory, where fflate reads them. */
function declareSize(zip: Uint8Array, entryName: string, size: number): Uint8Array {
  const bytes = Buffer.from(zip);
  for (let at = bytes.indexOf('PK\x01\x02', 0, 'latin1'); at !== -1; at = bytes.indexOf('PK\x01\x02', at + 4, 'latin1')) {
    const nameLength = bytes.readUInt16LE(at + 28);
    if (bytes.toString('latin1', at + 46, at + 46 + nameLength) === entryName) bytes.writeUInt32LE(size, at + 24);
  }
  return bytes;
}

describe('Java archives', () => {
  const jarDirectories = [...new Set(expected.maven.packages.map((p: { file: string }) => p.file.split('/META-INF/')[0]))] as string[];

  it('yields exactly the Maven artifacts of the fixture jars', () => {
    const packages = jarDirectories.flatMap((jar) => readJavaArchive(fixtureJar(jar), jar));
    assert.deepEqual(
      packages.map((pkg) => ({ jar: pkg.path, name: pkg.name, version: pkg.version })),
      expected.maven.packages.map((p: { file: string; name: string; version: string }) => ({ jar: p.file.split('/META-INF/')[0], name: p.name, version: p.version })),
    );
    assert.equal(packages.find((pkg) => pkg.name === 'org.yaml:snakeyaml')?.purl, 'pkg:maven/org.yaml/snakeyaml@1.33');
  });

  it('opens nested jars of Spring Boot jars and wars, stored or deflated, naming where each was found', () => {
    const war = zipSync({
      'WEB-INF/lib/snakeyaml.jar': [fixtureJar('maven/usr/share/java/snakeyaml.jar'), { level: 0 }],
      'META-INF/maven/com.example/shop/pom.properties': pom('com.example', 'shop', '1.0.0'),
    });
    const app = zipSync({
      'BOOT-INF/lib/log4j-core.jar': fixtureJar('maven/usr/share/java/log4j-core.jar'),
      'BOOT-INF/lib/shop.war': [war, { level: 0 }],
      'BOOT-INF/classes/application.yml': Buffer.from('server.port: 8080\n'),
    });
    assert.deepEqual(
      readJavaArchive(app, 'srv/app.jar').map((pkg) => [pkg.path, pkg.name, pkg.version]),
      [
        ['srv/app.jar!/BOOT-INF/lib/log4j-core.jar', 'org.apache.logging.log4j:log4j-core', '2.19.0'],
        ['srv/app.jar!/BOOT-INF/lib/shop.war', 'com.example:shop', '1.0.0'],
        ['srv/app.jar!/BOOT-INF/lib/shop.war!/WEB-INF/lib/snakeyaml.jar', 'org.yaml:snakeyaml', '1.33'],
      ],
    );
  });

  it('reads a shaded jar\'s several poms once each, and skips unfiltered templates', () => {
    const shaded = zipSync({
      'META-INF/maven/com.example/app/pom.properties': pom('com.example', 'app', '2.0'),
      'META-INF/maven/com.google.guava/guava/pom.properties': Buffer.from('groupId: com.google.guava\nartifactId guava\nversion = 31.1-jre\n'),
      'META-INF/maven/com.example/template/pom.properties': pom('com.example', 'template', `${'$'}{project.version}`),
    });
    assert.deepEqual(readJavaArchive(shaded, 'app.jar').map((pkg) => `${pkg.name}@${pkg.version}`), ['com.example:app@2.0', 'com.google.guava:guava@31.1-jre']);
    assert.equal(parsePomProperties('groupId=a\nartifactId=b\n', 'x.jar'), undefined);
  });

  it('stops three archives deep when jars nest ten deep', () => {
    let jar = zipSync({ 'META-INF/maven/deep/level-10/pom.properties': pom('deep', 'level-10', '1') });
    for (let level = 9; level >= 0; level--) {
      jar = zipSync({ 'lib/inner.jar': [jar, { level: 0 }], [`META-INF/maven/deep/level-${level}/pom.properties`]: pom('deep', `level-${level}`, '1') });
    }
    assert.deepEqual(readJavaArchive(jar, 'deep.jar').map((pkg) => pkg.name), ['deep:level-0', 'deep:level-1', 'deep:level-2', 'deep:level-3']);
  });

  it('survives zip bombs: a pom that inflates past what it declares, one that declares gigabytes, a jar of jars', () => {
    const liar = declareSize(zipSync({ 'META-INF/maven/a/b/pom.properties': Buffer.alloc(4 * 1024 * 1024, 'a') }), 'META-INF/maven/a/b/pom.properties', 100);
    assert.deepEqual(readJavaArchive(liar, 'liar.jar'), []);
    const giant = declareSize(zipSync({ 'META-INF/maven/a/b/pom.properties': pom('a', 'b', '1') }), 'META-INF/maven/a/b/pom.properties', 0xfffffff0);
    assert.deepEqual(readJavaArchive(giant, 'giant.jar'), []);
    // 42.zip's shape: each jar holds 16 deflated copies of the one below, each unpacking to a 1 MiB jar; opened in
    // full they would inflate to 256 MiB, so an inflate budget of 16 MiB stops the walk part way.
    const core = zipSync({ 'META-INF/maven/bomb/core/pom.properties': pom('bomb', 'core', '1'), 'pad.bin': [Buffer.alloc(1024 * 1024), { level: 0 }] });
    let bomb = core;
    for (let level = 0; level < 2; level++) {
      const copies: Zippable = {};
      for (let i = 0; i < 16; i++) copies[`lib/copy-${i}.jar`] = [bomb, { level: level === 0 ? 1 : 0 }];
      bomb = zipSync(copies);
    }
    assert.ok(bomb.length < 1024 * 1024);
    const packages = readJavaArchive(bomb, 'bomb.jar', { ...defaultJavaArchiveLimits, maxInflatedBytes: 16 * 1024 * 1024 });
    assert.ok(packages.length > 0 && packages.length < 16, `${packages.length} copies read`);
    assert.ok(packages.every((pkg) => pkg.name === 'bomb:core'));
    assert.equal(readJavaArchive(bomb, 'bomb.jar', { ...defaultJavaArchiveLimits, maxNestingDepth: 1 }).length, 0, 'the copies sit two deep');
  });

  it('gives up on a ZIP64 directory claiming four billion entries, and on junk', () => {
    const zip64 = Buffer.alloc(56 + 20 + 22);
    zip64.writeUInt32LE(0x06064b50, 0);
    zip64.writeUInt32LE(0xffffffff, 32);
    zip64.writeUInt32LE(0x07064b50, 56);
    zip64.writeUInt32LE(0, 60 + 4);
    const eocd = 56 + 20;
    zip64.writeUInt32LE(0x06054b50, eocd);
    zip64.writeUInt16LE(0xffff, eocd + 8);
    zip64.writeUInt16LE(0xffff, eocd + 10);
    assert.deepEqual(readJavaArchive(zip64, 'zip64.jar'), []);
    assert.deepEqual(readJavaArchive(zip64, 'zip64.jar', { ...defaultJavaArchiveLimits, maxEntries: 10 }), []);
    for (let seed = 1; seed <= 10; seed++) assert.deepEqual(readJavaArchive(junk(10_000, seed), 'junk.jar'), []);
    assert.deepEqual(readJavaArchive(new Uint8Array(0), 'empty.jar'), []);
  });

  it('knows archive names', () => {
    assert.ok(isJavaArchiveName('opt/app/app.JAR'));
    assert.ok(isJavaArchiveName('srv/ROOT.war'));
    assert.ok(!isJavaArchiveName('usr/share/java/.jar'));
    assert.ok(!isJavaArchiveName('usr/share/java/jar'));
  });
});

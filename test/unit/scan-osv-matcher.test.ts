import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { Finding, InstalledPackage, Inventory } from '../../src/scanning/model.js';
import { AdvisoryIndex } from '../../src/scanning/osv/advisory-index.js';
import { matchInventory } from '../../src/scanning/osv/matcher.js';
import { type OsvRecord, parseOsvRecord } from '../../src/scanning/osv/osv-record.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scanning/osv');

/** The committed records of one feed folder; YAML read with every scalar a string, as OSV's YAML means it. */
function records(folder: string): OsvRecord[] {
  const directory = path.join(fixtures, 'osv', folder);
  return readdirSync(directory).sort().map((file) => {
    const text = readFileSync(path.join(directory, file), 'utf8');
    const parsed = parseOsvRecord(file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { schema: 'failsafe' }));
    assert.ok(!('error' in parsed), `${file}: ${'error' in parsed ? parsed.error : ''}`);
    return parsed;
  });
}

function indexOf(list: readonly OsvRecord[]): AdvisoryIndex {
  const index = new AdvisoryIndex();
  for (const record of list) index.add(record);
  return index;
}

/** The expected files are free-form JSON. */
type Json = any;
const expected = (name: string): Json => JSON.parse(readFileSync(path.join(fixtures, 'expected', `${name}.json`), 'utf8'));

const pkg = (fields: Partial<InstalledPackage> & Pick<InstalledPackage, 'kind' | 'name' | 'version' | 'ecosystem'>): InstalledPackage =>
  ({ purl: `pkg:generic/${fields.name}@${fields.version}`, path: 'fixture', ...fields });

/** The installed packages of a dpkg status file, as an inventory reader gives them (installed ones only). */
function dpkgPackages(file: string, ecosystem: string): InstalledPackage[] {
  const text = readFileSync(path.join(fixtures, 'inventories/debian', file), 'utf8');
  return text.trim().split('\n\n').flatMap((stanza) => {
    const field = (name: string) => stanza.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
    if (field('Status')?.split(' ')[2] !== 'installed') return [];
    const name = field('Package')!;
    const version = field('Version')!;
    const source = /^(\S+)(?: \((\S+)\))?$/.exec(field('Source') ?? '');
    return [pkg({ kind: 'dpkg', name, version, sourceName: source?.[1] ?? name, sourceVersion: source?.[2] ?? version, ecosystem, path: 'var/lib/dpkg/status' })];
  });
}

/** What a finding is compared on: advisory, package, installed version, fix, and where it was found. */
const summary = (finding: Finding, withPath: boolean) => [finding.id, finding.packageName, finding.installedVersion, finding.fixedVersion, ...(withPath ? [finding.path] : [])];
const sorted = (rows: unknown[][]) => rows.map((row) => JSON.stringify(row)).sort();

function assertFindings(actual: Finding[], wanted: unknown[][], withPath: boolean): void {
  assert.deepEqual(sorted(actual.map((finding) => summary(finding, withPath))), sorted(wanted));
}

const alpineIndex = indexOf(records('alpine'));

describe('matching real inventories against real advisories', () => {
  for (const name of ['alpine-3.10.9', 'alpine-3.20.3']) {
    it(`${name}: exactly the expected findings, by origin and apk version`, () => {
      const data = expected(name);
      const inventory: Inventory = {
        packages: data.packages.map((entry: Json) => pkg({ kind: 'apk', name: entry.package, version: entry.version, sourceName: entry.origin, ecosystem: data.ecosystem })),
      };
      const findings = matchInventory(inventory, alpineIndex);
      assertFindings(findings, data.findings.map((entry: Json) => [entry.id, entry.package, entry.installed, entry.fixed]), false);
      for (const group of data.must_not_report) {
        const ids: string[] = group.ids?.map((entry: Json) => entry.id) ?? group.secdb_ids.map((cve: string) => `ALPINE-${cve}`);
        const wrong = findings.filter((finding) => group.binaries.includes(finding.packageName) && ids.includes(finding.id));
        assert.deepEqual(wrong, [], group.reason);
      }
    });
  }

  const debianIndex = indexOf(records('debian'));
  for (const name of ['debian-bookworm-12.15-minbase', 'debian-bookworm-12.15-minbase-apt-removed']) {
    it(`${name}: exactly the expected findings, by source package and source version`, () => {
      const data = expected(name);
      const findings = matchInventory({ packages: dpkgPackages(`${name.replace('debian-', '')}.status`, data.ecosystem) }, debianIndex);
      assertFindings(findings, data.findings.map((entry: Json) => [entry.id, entry.binary, entry.installed, entry.fixed]), false);
      for (const entry of data.must_not_report) {
        assert.equal(findings.some((finding) => finding.id === entry.id && finding.packageName === entry.binary), false, entry.reason);
      }
      const zlib = findings.find((finding) => finding.packageName === 'zlib1g')!;
      assert.deepEqual(zlib.aliases, ['CVE-2026-27171', 'CVE-2026-85091'], 'a distro advisory\'s upstream CVEs are its public ids');
      assert.equal(zlib.summary, 'zlib 1:1.2.13.dfsg-1+deb12u1: security update (derived from the Debian changelog)');
    });
  }

  const languages = [
    { name: 'npm', folder: 'npm', kind: 'npm', nameOf: (entry: Json) => entry.name },
    { name: 'pypi', folder: 'pypi', kind: 'pypi', nameOf: (entry: Json) => entry.normalized },
    { name: 'maven', folder: 'maven', kind: 'maven', nameOf: (entry: Json) => entry.name },
  ] as const;
  for (const language of languages) {
    it(`${language.name}: exactly the expected findings, one per installed copy`, () => {
      const data = expected(language.name);
      const inventory: Inventory = {
        packages: data.packages.map((entry: Json) => pkg({ kind: language.kind, name: language.nameOf(entry), version: entry.version, ecosystem: data.ecosystem, path: entry.file })),
      };
      const findings = matchInventory(inventory, indexOf(records(language.folder)));
      // A finding names the package as the inventory does (PyPI's normalised), so look the name up by file.
      const nameByFile = new Map<string, string>(data.packages.map((entry: Json) => [entry.file, language.nameOf(entry)]));
      assertFindings(findings, data.findings.map((entry: Json) => [entry.id, nameByFile.get(entry.file), entry.installed, entry.fixed, entry.file]), true);
      for (const entry of data.must_not_report) {
        assert.equal(findings.some((finding) => finding.id === entry.id && finding.path === entry.file), false, `${entry.id} ${entry.file}: ${entry.reason}`);
      }
    });
  }

  it('go-esbuild-0.17.19: exactly the expected findings for the toolchain and a pseudo-version module', () => {
    const data = expected('go-esbuild-0.17.19');
    const inventory: Inventory = { packages: data.modules.map((entry: Json) => pkg({ kind: 'go', name: entry.module, version: entry.version, ecosystem: data.ecosystem })) };
    const findings = matchInventory(inventory, indexOf(records('go')));
    assertFindings(findings, data.findings.map((entry: Json) => [entry.id, entry.module, entry.installed, entry.fixed]), false);
  });
});

describe('matching rules', () => {
  const record = (fields: Json): OsvRecord => {
    const parsed = parseOsvRecord({ id: 'TEST-1', ...fields });
    assert.ok(!('error' in parsed), 'error' in parsed ? parsed.error : '');
    return parsed;
  };
  const utilLinux = record({
    affected: [{ package: { ecosystem: 'Debian:12', name: 'util-linux' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.38.1-5+deb12u4' }] }] }],
  });

  it('compares a dpkg package\'s source version: an epoch on the binary alone does not hide the flaw', () => {
    const bsdutils = pkg({ kind: 'dpkg', name: 'bsdutils', version: '1:2.38.1-5+deb12u3', sourceName: 'util-linux', sourceVersion: '2.38.1-5+deb12u3', ecosystem: 'Debian:12' });
    const [finding] = matchInventory({ packages: [bsdutils] }, indexOf([utilLinux]));
    assert.equal(finding?.packageName, 'bsdutils', 'reported under the binary');
    assert.equal(finding?.installedVersion, '1:2.38.1-5+deb12u3', 'with the binary\'s version');
    assert.equal(finding?.fixedVersion, '2.38.1-5+deb12u4');
    assert.equal(finding?.kind, 'dpkg');
    assert.equal(finding?.ecosystem, 'Debian:12');
  });

  it('falls back to the binary name and version when a package has no source fields', () => {
    const own = pkg({ kind: 'dpkg', name: 'util-linux', version: '2.38.1-5+deb12u3', ecosystem: 'Debian:12' });
    assert.equal(matchInventory({ packages: [own] }, indexOf([utilLinux])).length, 1);
  });

  it('matches only in the package\'s own ecosystem, and gives nothing (no error) for an ecosystem without an order', () => {
    const other = pkg({ kind: 'dpkg', name: 'util-linux', version: '2.38.1-5+deb12u3', ecosystem: 'Debian:11' });
    assert.deepEqual(matchInventory({ packages: [other] }, indexOf([utilLinux])), []);
    const strange = record({ affected: [{ package: { ecosystem: 'Hackage', name: 'text' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }] });
    assert.deepEqual(matchInventory({ packages: [pkg({ kind: 'npm', name: 'text', version: '1.0.0', ecosystem: 'Hackage' })] }, indexOf([strange])), []);
  });

  it('never reports a withdrawn record, and an update that withdraws a record takes its findings away', () => {
    const installed = pkg({ kind: 'npm', name: 'left-pad', version: '1.0.0', ecosystem: 'npm' });
    const live = record({ affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.1.0' }] }] }] });
    const index = indexOf([live]);
    assert.equal(matchInventory({ packages: [installed] }, index).length, 1);
    index.add({ ...live, withdrawn: '2024-01-01T00:00:00Z' });
    assert.deepEqual(matchInventory({ packages: [installed] }, index), []);
  });

  it('orders findings the same whatever the order of the inventory', () => {
    const data = expected('npm');
    const packages: InstalledPackage[] = data.packages.map((entry: Json) => pkg({ kind: 'npm', name: entry.name, version: entry.version, ecosystem: 'npm', path: entry.file }));
    const index = indexOf(records('npm'));
    const forward = matchInventory({ packages }, index);
    const backward = matchInventory({ packages: [...packages].reverse() }, index);
    assert.deepEqual(backward, forward);
    assert.deepEqual(forward.map((finding) => finding.packageName), [...forward.map((finding) => finding.packageName)].sort());
  });

  it('rates each finding from its record: GHSA severity, else the CVSS vector', () => {
    const data = expected('npm');
    const packages: InstalledPackage[] = data.packages.map((entry: Json) => pkg({ kind: 'npm', name: entry.name, version: entry.version, ecosystem: 'npm', path: entry.file }));
    const findings = matchInventory({ packages }, indexOf(records('npm')));
    const lodash = findings.find((finding) => finding.id === 'GHSA-29mw-wpgm-hmr9')!;
    assert.equal(lodash.severity, 'MEDIUM', 'GitHub rates it MODERATE');
    assert.equal(lodash.score, undefined, 'no CVSS score behind a vendor rating');
    assert.ok(findings.every((finding) => finding.severity !== 'UNKNOWN'), 'every reviewed GHSA record carries a rating');
  });
});

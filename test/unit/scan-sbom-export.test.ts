import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { InstalledPackage, Inventory } from '../../src/scanning/model.js';
import { toCycloneDx } from '../../src/scanning/sbom/cyclonedx.js';
import { CYCLONEDX_JSON_MEDIA_TYPE, SBOM_MEDIA_TYPES, SPDX_JSON_MEDIA_TYPE } from '../../src/scanning/sbom/media-types.js';
import { toSpdx } from '../../src/scanning/sbom/spdx.js';
import { schemaErrors } from '../support/sbom-schemas.js';

const fixtures = new URL('../fixtures/scanning/sbom/', import.meta.url);
const DIGEST = 'sha256:4f3a5b7e1c9d2e8f6a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f';
const subject = { repository: 'library/debian', digest: DIGEST, name: 'library/debian:bookworm' };
const NOW = new Date('2026-07-12T08:30:15.250Z');

/** purl-spec: segments and the version percent-encoded, `:` left readable; qualifiers sorted. */
const debPurl = (name: string, version: string, arch: string): string =>
  `pkg:deb/debian/${encodeURIComponent(name)}@${encodeURIComponent(version).replaceAll('%3A', ':')}?arch=${arch}&distro=debian-12`;

/** The inventory of the real Debian 12.15 minbase root: its installed dpkg stanzas, matched by source package. */
function debianInventory(): Inventory {
  const status = readFileSync(new URL('debian-bookworm-12.15-minbase/status', fixtures), 'utf8');
  const packages: InstalledPackage[] = [];
  for (const stanza of status.split(/\n\n+/)) {
    const field = (name: string): string | undefined => new RegExp(`^${name}: (.*)$`, 'm').exec(stanza)?.[1];
    const name = field('Package');
    const version = field('Version');
    const arch = field('Architecture');
    if (!name || !version || !arch || !field('Status')?.endsWith(' installed')) continue;
    const source = /^(\S+)(?: \((.+)\))?$/.exec(field('Source') ?? name)!;
    packages.push({
      kind: 'dpkg', name, version, arch, sourceName: source[1]!, sourceVersion: source[2] ?? version, ecosystem: 'Debian:12',
      purl: debPurl(name, version, arch), path: 'var/lib/dpkg/status',
    });
  }
  return { distro: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', ecosystem: 'Debian:12' }, packages };
}

/** Packages whose names and paths a stranger chose, next to ordinary npm and Maven ones. */
const oddPackages: InstalledPackage[] = [
  { kind: 'npm', name: '<script>alert("x")</script>', version: '1.0.0', ecosystem: 'npm', path: 'app/node_modules/x/package.json', purl: '' },
  { kind: 'npm', name: 'ünïcödé-名前', version: '2.0.0-β', ecosystem: 'npm', path: 'app/node_modules/ü/package.json', purl: 'pkg:npm/%C3%BCn%C3%AFc%C3%B6d%C3%A9-%E5%90%8D%E5%89%8D@2.0.0-%CE%B2' },
  { kind: 'npm', name: '@babel/core', version: '7.0.0', ecosystem: 'npm', path: 'app/node_modules/@babel/core/package.json', purl: 'pkg:npm/%40babel/core@7.0.0' },
  { kind: 'npm', name: '@babel/core', version: '7.0.0', ecosystem: 'npm', path: 'app/node_modules/x/node_modules/@babel/core/package.json', purl: 'pkg:npm/%40babel/core@7.0.0' },
  { kind: 'maven', name: 'org.yaml:snakeyaml', version: '1.33', ecosystem: 'Maven', path: 'usr/share/java/snakeyaml.jar', purl: 'pkg:maven/org.yaml/snakeyaml@1.33' },
  { kind: 'pypi', name: 'a"b\\c\nd\u0000e', version: '1.0', ecosystem: 'PyPI', path: 'x\ty/METADATA', purl: '' },
];

interface CycloneDxComponent {
  type: string;
  'bom-ref': string;
  group?: string;
  name: string;
  version?: string;
  purl?: string;
  properties?: Array<{ name: string; value: string }>;
}
interface CycloneDxBom {
  serialNumber: string;
  metadata: { timestamp: string; component: CycloneDxComponent & { hashes?: Array<{ alg: string; content: string }> } };
  components: CycloneDxComponent[];
  dependencies: Array<{ ref: string; dependsOn: string[] }>;
}
interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  primaryPackagePurpose: string;
  sourceInfo?: string;
  externalRefs?: Array<{ referenceCategory: string; referenceType: string; referenceLocator: string }>;
  checksums?: Array<{ algorithm: string; checksumValue: string }>;
}
interface SpdxDocument {
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: Array<{ spdxElementId: string; relationshipType: string; relatedSpdxElement: string }>;
}
const cyclonedx = (inventory: Inventory, now = NOW) => toCycloneDx(inventory, subject, now) as CycloneDxBom;
const spdx = (inventory: Inventory, now = NOW) => toSpdx(inventory, subject, now) as SpdxDocument;
const property = (component: CycloneDxComponent, name: string) => component.properties?.find((entry) => entry.name === name)?.value;

describe('SBOM export', () => {
  const debian = debianInventory();

  it('reads the real Debian inventory the way the expected findings do', () => {
    assert.equal(debian.packages.length, 88);
    const bsdutils = debian.packages.find((pkg) => pkg.name === 'bsdutils')!;
    assert.deepEqual([bsdutils.version, bsdutils.sourceName, bsdutils.sourceVersion], ['1:2.38.1-5+deb12u3', 'util-linux', '2.38.1-5+deb12u3']);
    assert.equal(bsdutils.purl, 'pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12');
  });

  describe('CycloneDX 1.6', () => {
    it('is valid against the official schema, for the Debian inventory and for odd names', () => {
      assert.deepEqual(schemaErrors('bom-1.6.schema.json', toCycloneDx(debian, subject, NOW)), []);
      // And the check bites: a document the schema refuses is refused.
      assert.match(schemaErrors('bom-1.6.schema.json', { ...toCycloneDx(debian, subject, NOW), bomFormat: 'SPDX' }).join('\n'), /bomFormat: must be equal to one of the allowed values/);
      assert.deepEqual(schemaErrors('bom-1.6.schema.json', toCycloneDx({ packages: oddPackages }, { digest: DIGEST }, NOW)), []);
      assert.deepEqual(schemaErrors('bom-1.6.schema.json', toCycloneDx({ packages: [] }, { digest: 'not-a-digest' }, NOW)), []);
    });

    it('describes the image as a container with its digest, made by Berth at the time given', () => {
      const bom = cyclonedx(debian);
      assert.deepEqual(bom.metadata.component, {
        type: 'container', 'bom-ref': 'image', name: 'library/debian:bookworm', version: DIGEST,
        hashes: [{ alg: 'SHA-256', content: DIGEST.slice(7) }],
        purl: `pkg:oci/debian@sha256%3A${DIGEST.slice(7)}`,
        properties: [{ name: 'berth:image:repository', value: 'library/debian' }],
      });
      assert.equal(bom.metadata.timestamp, '2026-07-12T08:30:15Z');
      assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('lists the distribution and every package with its purl, source and where it was read', () => {
      const bom = cyclonedx(debian);
      const [os, ...libraries] = bom.components;
      assert.deepEqual(os, {
        type: 'operating-system', 'bom-ref': 'os:debian@12', name: 'debian', version: '12', description: 'Debian GNU/Linux 12 (bookworm)',
        properties: [{ name: 'berth:os:ecosystem', value: 'Debian:12' }],
      });
      assert.equal(libraries.length, 88);
      assert.ok(libraries.every((component) => component.type === 'library' && component['bom-ref'] === component.purl));
      assert.deepEqual(libraries.map((component) => component.purl).sort(), debian.packages.map((pkg) => pkg.purl).sort());
      const bsdutils = libraries.find((component) => component.name === 'bsdutils')!;
      assert.equal(bsdutils.version, '1:2.38.1-5+deb12u3');
      assert.equal(property(bsdutils, 'berth:package:source-name'), 'util-linux');
      assert.equal(property(bsdutils, 'berth:package:source-version'), '2.38.1-5+deb12u3');
      assert.equal(property(bsdutils, 'berth:package:ecosystem'), 'Debian:12');
      assert.equal(property(bsdutils, 'berth:package:path'), 'var/lib/dpkg/status');
      assert.deepEqual(bom.dependencies, [
        { ref: 'image', dependsOn: ['os:debian@12'] },
        { ref: 'os:debian@12', dependsOn: libraries.map((component) => component['bom-ref']) },
      ]);
    });

    it('keeps odd names as data, splits npm scopes and Maven groups, and gives duplicate installs their own refs', () => {
      const bom = cyclonedx({ packages: oddPackages });
      const text = JSON.stringify(bom);
      assert.deepEqual(JSON.parse(text), bom, 'survives a JSON round trip');
      const names = bom.components.map((component) => [component.group, component.name]);
      assert.deepEqual(names, [
        ['org.yaml', 'snakeyaml'], [undefined, '<script>alert("x")</script>'], ['@babel', 'core'], ['@babel', 'core'],
        [undefined, 'ünïcödé-名前'], [undefined, 'a"b\\c\nd\u0000e'],
      ], 'sorted by kind, then name');
      const refs = bom.components.map((component) => component['bom-ref']);
      assert.equal(new Set(refs).size, refs.length);
      assert.deepEqual(refs.filter((ref) => ref.startsWith('pkg:npm/%40babel')), ['pkg:npm/%40babel/core@7.0.0', 'pkg:npm/%40babel/core@7.0.0#2']);
      assert.equal(bom.components[1]!.purl, undefined, 'no purl is made up where the inventory has none');
      assert.deepEqual(bom.dependencies, [{ ref: 'image', dependsOn: refs }]);
    });

    it('gives the same bytes for the same input, whatever the packages\' order, and a new serial for a change', () => {
      const first = JSON.stringify(toCycloneDx(debian, subject, NOW));
      const shuffled = { ...debian, packages: [...debian.packages].reverse() };
      assert.equal(JSON.stringify(toCycloneDx(shuffled, subject, new Date(NOW))), first);
      const later = cyclonedx(debian, new Date(NOW.getTime() + 1000));
      const fewer = cyclonedx({ ...debian, packages: debian.packages.slice(1) });
      const serials = new Set([cyclonedx(debian).serialNumber, later.serialNumber, fewer.serialNumber]);
      assert.equal(serials.size, 3);
    });
  });

  describe('SPDX 2.3', () => {
    it('is valid against the official schema, for the Debian inventory and for odd names', () => {
      assert.deepEqual(schemaErrors('spdx-schema.json', toSpdx(debian, subject, NOW)), []);
      assert.match(schemaErrors('spdx-schema.json', { ...toSpdx(debian, subject, NOW), spdxVersion: 2.3 }).join('\n'), /spdxVersion: must be string/);
      assert.deepEqual(schemaErrors('spdx-schema.json', toSpdx({ packages: oddPackages }, { digest: DIGEST }, NOW)), []);
    });

    it('describes the image, which contains the distribution and every package', () => {
      const document = spdx(debian);
      assert.equal(document.name, 'library/debian:bookworm');
      assert.deepEqual(document.creationInfo, { created: '2026-07-12T08:30:15Z', creators: ['Tool: Berth'] });
      assert.match(document.documentNamespace, /^https:\/\/spdx\.org\/spdxdocs\/library%2Fdebian%3Abookworm-[0-9a-f-]{36}$/);
      const [image, os, ...libraries] = document.packages;
      assert.equal(image!.primaryPackagePurpose, 'CONTAINER');
      assert.deepEqual(image!.checksums, [{ algorithm: 'SHA256', checksumValue: DIGEST.slice(7) }]);
      assert.deepEqual([os!.name, os!.versionInfo, os!.primaryPackagePurpose], ['debian', '12', 'OPERATING_SYSTEM']);
      assert.equal(libraries.length, 88);
      const ids = document.packages.map((pkg) => pkg.SPDXID);
      assert.equal(new Set(ids).size, ids.length);
      assert.ok(ids.every((id) => /^SPDXRef-[A-Za-z0-9.-]+$/.test(id)));
      assert.deepEqual(document.relationships[0], { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: image!.SPDXID });
      assert.deepEqual(document.relationships.slice(1).map((relationship) => [relationship.spdxElementId, relationship.relationshipType, relationship.relatedSpdxElement]),
        [os!, ...libraries].map((pkg) => [image!.SPDXID, 'CONTAINS', pkg.SPDXID]));
      const bsdutils = libraries.find((pkg) => pkg.name === 'bsdutils')!;
      assert.deepEqual(bsdutils.externalRefs, [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: debPurl('bsdutils', '1:2.38.1-5+deb12u3', 'amd64') }]);
      assert.equal(bsdutils.sourceInfo, 'built package from: util-linux 2.38.1-5+deb12u3');
    });

    it('keeps odd names as data and stable ids for duplicate installs', () => {
      const document = toSpdx({ packages: oddPackages }, { digest: DIGEST }, NOW) as SpdxDocument;
      assert.deepEqual(JSON.parse(JSON.stringify(document)), document);
      assert.deepEqual(document.packages.slice(1).map((pkg) => pkg.name).sort(), oddPackages.map((pkg) => pkg.name).sort());
      assert.ok(document.packages.find((pkg) => pkg.name === '<script>alert("x")</script>')!.externalRefs === undefined);
      assert.match(document.documentNamespace, new RegExp(`^https://spdx\\.org/spdxdocs/sha256%3A${DIGEST.slice(7)}-`));
    });

    it('gives the same bytes for the same input and a new namespace for a change', () => {
      const first = JSON.stringify(toSpdx(debian, subject, NOW));
      assert.equal(JSON.stringify(toSpdx({ ...debian, packages: [...debian.packages].reverse() }, subject, NOW)), first);
      const namespaces = new Set([spdx(debian).documentNamespace, spdx(debian, new Date(0)).documentNamespace,
        spdx({ ...debian, packages: debian.packages.slice(2) }).documentNamespace]);
      assert.equal(namespaces.size, 3);
    });
  });

  it('names the media types referrers carry', () => {
    assert.equal(CYCLONEDX_JSON_MEDIA_TYPE, 'application/vnd.cyclonedx+json');
    assert.equal(SPDX_JSON_MEDIA_TYPE, 'application/spdx+json');
    assert.deepEqual(SBOM_MEDIA_TYPES, { cyclonedx: CYCLONEDX_JSON_MEDIA_TYPE, spdx: SPDX_JSON_MEDIA_TYPE });
  });
});

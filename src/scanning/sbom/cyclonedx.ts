// An image's inventory as a CycloneDX 1.6 JSON BOM (CycloneDX/specification schema/bom-1.6.schema.json): the image
// as the BOM's subject (`metadata.component`, type container), the distribution as an operating-system component, and
// every installed package as a library with its purl and Berth's facts about it as properties. The dependency graph
// says only what the image holds: the image holds the distribution and the language packages, the distribution its
// OS packages.

import { createHash } from 'node:crypto';
import type { Distro, InstalledPackage, Inventory } from '../model.js';
import { digestHex, isOsPackage, nameBasedUuid, type SbomSubject, sortedPackages, subjectName, TOOL_NAME, timestamp } from './sbom-subject.js';

interface Property {
  name: string;
  value: string;
}

interface Component {
  type: 'container' | 'operating-system' | 'library';
  'bom-ref': string;
  group?: string;
  name: string;
  version?: string;
  description?: string;
  hashes?: Array<{ alg: string; content: string }>;
  purl?: string;
  properties?: Property[];
}

const IMAGE_REF = 'image';

/**
 * The BOM of an image. The serial number is a name-based UUID of the rest of the document: CycloneDX asks for a new
 * serial per generated BOM, and any change (packages, image, time) gives one, yet exporting the same inventory with
 * the same `now` again gives the same bytes, so re-attaching it as a referrer is a no-op rather than a duplicate.
 */
export function toCycloneDx(inventory: Inventory, subject: SbomSubject, now: Date): object {
  const image = imageComponent(subject);
  const os = inventory.distro && osComponent(inventory.distro);
  const refs = new Set<string>([IMAGE_REF, ...(os ? [os['bom-ref']] : [])]);
  const packages = sortedPackages(inventory).map((pkg) => ({ pkg, component: packageComponent(pkg, refs) }));
  const underOs = packages.filter(({ pkg }) => os && isOsPackage(pkg)).map(({ component }) => component['bom-ref']);
  const underImage = packages.filter(({ pkg }) => !(os && isOsPackage(pkg))).map(({ component }) => component['bom-ref']);

  const document = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: undefined as string | undefined,
    version: 1,
    metadata: {
      timestamp: timestamp(now),
      tools: { components: [{ type: 'application', name: TOOL_NAME }] },
      component: image,
    },
    components: [...(os ? [os] : []), ...packages.map(({ component }) => component)],
    dependencies: [
      { ref: IMAGE_REF, dependsOn: [...(os ? [os['bom-ref']] : []), ...underImage] },
      ...(os ? [{ ref: os['bom-ref'], dependsOn: underOs }] : []),
    ],
  };
  // JSON leaves the still undefined serial number out of the text it is derived from.
  const body = JSON.stringify(document);
  document.serialNumber = `urn:uuid:${nameBasedUuid(`cyclonedx:${createHash('sha256').update(body).digest('hex')}`)}`;
  return document;
}

function imageComponent(subject: SbomSubject): Component {
  const component: Component = { type: 'container', 'bom-ref': IMAGE_REF, name: subjectName(subject), version: subject.digest };
  const hex = digestHex(subject.digest);
  if (hex) component.hashes = [{ alg: `SHA-${hex.bits}`, content: hex.hex }];
  if (subject.repository !== undefined) {
    // purl-spec's oci type: the name is the repository's last segment; its location needs the registry's host, which
    // the export does not know, so `repository_url` is left out and the repository goes into a property.
    const name = subject.repository.split('/').pop()!.toLowerCase();
    component.purl = `pkg:oci/${encodeURIComponent(name)}@${encodeURIComponent(subject.digest)}`;
    component.properties = [{ name: 'berth:image:repository', value: subject.repository }];
  }
  return component;
}

function osComponent(distro: Distro): Component {
  const component: Component = { type: 'operating-system', 'bom-ref': `os:${distro.id}@${distro.versionId}`, name: distro.id, version: distro.versionId };
  if (distro.prettyName !== undefined) component.description = distro.prettyName;
  if (distro.ecosystem !== undefined) component.properties = [{ name: 'berth:os:ecosystem', value: distro.ecosystem }];
  return component;
}

/** A library component; its bom-ref is its purl, made unique with a counter when two installs share one. */
function packageComponent(pkg: InstalledPackage, refs: Set<string>): Component {
  const base = pkg.purl !== '' ? pkg.purl : `berth:${pkg.kind}/${pkg.name}@${pkg.version}`;
  let ref = base;
  for (let copy = 2; refs.has(ref); copy++) ref = `${base}#${copy}`;
  refs.add(ref);
  const component: Component = { type: 'library', 'bom-ref': ref, ...groupAndName(pkg), version: pkg.version };
  if (pkg.purl !== '') component.purl = pkg.purl;
  component.properties = packageProperties(pkg);
  return component;
}

/** CycloneDX's group: a Maven groupId, an npm scope. */
function groupAndName(pkg: InstalledPackage): { group?: string; name: string } {
  const cut = pkg.kind === 'maven' ? pkg.name.indexOf(':') : pkg.kind === 'npm' && pkg.name.startsWith('@') ? pkg.name.indexOf('/') : -1;
  if (cut <= 0 || cut === pkg.name.length - 1) return { name: pkg.name };
  return { group: pkg.name.slice(0, cut), name: pkg.name.slice(cut + 1) };
}

function packageProperties(pkg: InstalledPackage): Property[] {
  const properties: Property[] = [
    { name: 'berth:package:kind', value: pkg.kind },
    { name: 'berth:package:ecosystem', value: pkg.ecosystem },
    { name: 'berth:package:path', value: pkg.path },
  ];
  if (pkg.arch !== undefined) properties.push({ name: 'berth:package:arch', value: pkg.arch });
  if (pkg.sourceName !== undefined) properties.push({ name: 'berth:package:source-name', value: pkg.sourceName });
  if (pkg.sourceVersion !== undefined) properties.push({ name: 'berth:package:source-version', value: pkg.sourceVersion });
  return properties;
}

// An image's inventory as an SPDX 2.3 JSON document (spdx/spdx-spec v2.3 schemas/spdx-schema.json): the document
// DESCRIBES the image (a CONTAINER package), which CONTAINS the distribution (OPERATING_SYSTEM) and every installed
// package (LIBRARY, with its purl as a PACKAGE-MANAGER reference). Nothing is asserted about licences or files: the
// inventory reads package databases, not the packages' contents.

import { createHash } from 'node:crypto';
import type { Distro, InstalledPackage, Inventory } from '../model.js';
import { digestHex, nameBasedUuid, type SbomSubject, sortedPackages, subjectName, TOOL_NAME, timestamp } from './sbom-subject.js';

const DOCUMENT_ID = 'SPDXRef-DOCUMENT';
const IMAGE_ID = 'SPDXRef-Image';
const OS_ID = 'SPDXRef-OperatingSystem';
const CREATOR = `Tool: ${TOOL_NAME}`;

interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  primaryPackagePurpose: 'CONTAINER' | 'OPERATING_SYSTEM' | 'LIBRARY';
  checksums?: Array<{ algorithm: string; checksumValue: string }>;
  sourceInfo?: string;
  externalRefs?: Array<{ referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string }>;
  annotations?: Array<{ annotator: string; annotationDate: string; annotationType: 'OTHER'; comment: string }>;
}

/**
 * The SPDX document of an image. Its namespace ends in a version 5 UUID of the rest of the document, as SPDX 2.3
 * (6.5.2) suggests, under the `spdx.org/spdxdocs` prefix it offers to creators without a website of their own: a
 * changed document gets a new namespace, while the same inventory exported with the same `now` gives the same bytes.
 */
export function toSpdx(inventory: Inventory, subject: SbomSubject, now: Date): object {
  const created = timestamp(now);
  const name = subjectName(subject);
  const image = imagePackage(subject);
  const os = inventory.distro && osPackage(inventory.distro);
  const ids = new Set<string>([IMAGE_ID, OS_ID]);
  const packages = sortedPackages(inventory).map((pkg) => libraryPackage(pkg, ids, created));

  const document = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: DOCUMENT_ID,
    name,
    documentNamespace: undefined as string | undefined,
    creationInfo: { created, creators: [CREATOR] },
    packages: [image, ...(os ? [os] : []), ...packages],
    relationships: [
      { spdxElementId: DOCUMENT_ID, relationshipType: 'DESCRIBES', relatedSpdxElement: IMAGE_ID },
      ...[...(os ? [os] : []), ...packages].map((contained) => ({
        spdxElementId: IMAGE_ID, relationshipType: 'CONTAINS', relatedSpdxElement: contained.SPDXID,
      })),
    ],
  };
  // JSON leaves the still undefined namespace out of the text it is derived from.
  const uuid = nameBasedUuid(`spdx:${createHash('sha256').update(JSON.stringify(document)).digest('hex')}`);
  document.documentNamespace = `https://spdx.org/spdxdocs/${encodeURIComponent(name)}-${uuid}`;
  return document;
}

function imagePackage(subject: SbomSubject): SpdxPackage {
  const image: SpdxPackage = {
    SPDXID: IMAGE_ID, name: subjectName(subject), versionInfo: subject.digest, downloadLocation: 'NOASSERTION', filesAnalyzed: false,
    primaryPackagePurpose: 'CONTAINER',
  };
  const hex = digestHex(subject.digest);
  if (hex) image.checksums = [{ algorithm: `SHA${hex.bits}`, checksumValue: hex.hex }];
  return image;
}

function osPackage(distro: Distro): SpdxPackage {
  return {
    SPDXID: OS_ID, name: distro.id, versionInfo: distro.versionId, downloadLocation: 'NOASSERTION', filesAnalyzed: false,
    primaryPackagePurpose: 'OPERATING_SYSTEM',
  };
}

/** A package's SPDXID is derived from what identifies it, so it stays put when other packages come or go; SPDX ids
 *  allow only letters, digits, `.` and `-`, hence the hash. Two identical installs get a counter. */
function libraryPackage(pkg: InstalledPackage, ids: Set<string>, created: string): SpdxPackage {
  const identity = [pkg.kind, pkg.name, pkg.version, pkg.path, pkg.purl].join('\n');
  const base = `SPDXRef-Package-${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`;
  let id = base;
  for (let copy = 2; ids.has(id); copy++) id = `${base}-${copy}`;
  ids.add(id);
  const spdx: SpdxPackage = {
    SPDXID: id, name: pkg.name, versionInfo: pkg.version, downloadLocation: 'NOASSERTION', filesAnalyzed: false,
    primaryPackagePurpose: 'LIBRARY',
  };
  if (pkg.sourceName !== undefined) spdx.sourceInfo = `built package from: ${pkg.sourceName} ${pkg.sourceVersion ?? pkg.version}`;
  if (pkg.purl !== '') spdx.externalRefs = [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }];
  const facts = [['kind', pkg.kind], ['ecosystem', pkg.ecosystem], ['path', pkg.path], ...(pkg.arch === undefined ? [] : [['arch', pkg.arch]])];
  spdx.annotations = facts.map(([key, value]) => ({
    annotator: CREATOR, annotationDate: created, annotationType: 'OTHER', comment: `berth:package:${key}=${value}`,
  }));
  return spdx;
}

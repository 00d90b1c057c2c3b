// What the CycloneDX and SPDX exports share: the image an SBOM describes, the packages in a fixed order, and
// name-based UUIDs. Both documents are pure functions of their inputs, so exporting the same inventory of the same
// image at the same time gives the same bytes (and, attached as a referrer, the same digest).

import { createHash } from 'node:crypto';
import type { InstalledPackage, Inventory } from '../model.js';

/** The image an SBOM describes: its manifest digest, and the repository and display name when known. */
export interface SbomSubject {
  repository?: string;
  digest: string;
  name?: string;
}

export const TOOL_NAME = 'Berth';

/** The name a document gives the image: the display name, else the repository, else the digest. */
export function subjectName(subject: SbomSubject): string {
  return subject.name ?? subject.repository ?? subject.digest;
}

/** The hex of a `sha256:`/`sha512:` digest, with the algorithm's bit length; undefined for another form. */
export function digestHex(digest: string): { bits: 256 | 512; hex: string } | undefined {
  const match = /^sha(256|512):([0-9a-f]+)$/.exec(digest);
  if (!match) return undefined;
  const bits = match[1] === '256' ? 256 : 512;
  return match[2]!.length === bits / 4 ? { bits, hex: match[2]! } : undefined;
}

/** The OS package managers, whose packages belong to the distribution rather than to the application. */
export function isOsPackage(pkg: InstalledPackage): boolean {
  return pkg.kind === 'dpkg' || pkg.kind === 'apk' || pkg.kind === 'rpm';
}

/** The inventory's packages in an order that does not depend on the order they were found in. */
export function sortedPackages(inventory: Inventory): InstalledPackage[] {
  const key = (pkg: InstalledPackage): string[] => [pkg.kind, pkg.name, pkg.version, pkg.path, pkg.purl, pkg.arch ?? ''];
  return [...inventory.packages].sort((a, b) => {
    const left = key(a);
    const right = key(b);
    for (let index = 0; index < left.length; index++) {
      if (left[index] !== right[index]) return left[index]! < right[index]! ? -1 : 1;
    }
    return 0;
  });
}

/** The RFC 4122 URL namespace: the names hashed here are the documents' own text, not URLs, but any fixed namespace
 *  serves to make a version 5 UUID. */
const NAMESPACE = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

/** A version 5 (SHA-1, name-based) UUID of `name`: the same name always gives the same UUID. */
export function nameBasedUuid(name: string): string {
  const bytes = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A timestamp in the form both formats accept: UTC, whole seconds (SPDX 2.3 allows no fraction). */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The SBOM referrer Berth attaches to a scanned image, as bytes: the SBOM document, and the OCI image manifest that
// carries it (artifactType the SBOM's media type, the empty config, one layer, `subject` the image), the way oras,
// Trivy and Harbor attach SBOMs. Pure: the same inventory of the same image scanned at the same time gives the same
// bytes, hence the same digests.

import { createHash } from 'node:crypto';
import type { Referrer } from '../../metadata/metadata-store.js';
import { mediaTypes } from '../../oci/media-types.js';
import type { Inventory } from '../../scanning/model.js';
import { toCycloneDx } from '../../scanning/sbom/cyclonedx.js';
import { SBOM_MEDIA_TYPES, type SbomFormat } from '../../scanning/sbom/media-types.js';
import { type SbomSubject, sortedPackages } from '../../scanning/sbom/sbom-subject.js';
import { toSpdx } from '../../scanning/sbom/spdx.js';

/** The annotations of the SBOM manifest. `scanner` marks the SBOMs Berth made: only those does it ever replace. */
export const sbomAnnotations = {
  created: 'org.opencontainers.image.created',
  description: 'org.opencontainers.image.description',
  scanner: 'dev.berth.sbom.scanner',
  format: 'dev.berth.sbom.format',
  /** What the document was made from (see inventoryFingerprint): the same inventory is never attached twice. */
  inventory: 'dev.berth.sbom.inventory',
} as const;

/** The layer's file name: `oras pull` writes only layers that have one. */
const titleAnnotation = 'org.opencontainers.image.title';

/** Bumped when the documents' shape changes, so that an upgraded Berth replaces the SBOMs an older one attached. */
const documentRevision = 1;

/** The OCI empty descriptor's blob: the config of an artifact that needs none (image-spec, "Guidance for an Empty Descriptor"). */
export const emptyConfig = Buffer.from('{}');

const formatNames: Readonly<Record<SbomFormat, string>> = { cyclonedx: 'CycloneDX 1.6', spdx: 'SPDX 2.3' };
const fileNames: Readonly<Record<SbomFormat, string>> = { cyclonedx: 'sbom.cyclonedx.json', spdx: 'sbom.spdx.json' };

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** The SBOM to attach: the document's bytes and the manifest's, with the descriptor of each blob the manifest names. */
export interface SbomArtifact {
  readonly artifactType: string;
  readonly document: Buffer;
  readonly blobs: readonly { readonly descriptor: Descriptor; readonly bytes: Buffer }[];
  readonly manifest: Buffer;
  readonly manifestDigest: string;
}

/**
 * A digest of what an SBOM says: the inventory (packages in a fixed order, the distribution), the format and the
 * documents' revision. Two scans of one image read the same inventory; the second then keeps the SBOM the first
 * attached, rather than replacing it by one that differs only in its timestamp.
 */
export function inventoryFingerprint(inventory: Inventory, format: SbomFormat): string {
  const packages = sortedPackages(inventory).map((pkg) => [pkg.kind, pkg.name, pkg.version, pkg.sourceName ?? null, pkg.sourceVersion ?? null,
    pkg.arch ?? null, pkg.ecosystem, pkg.purl, pkg.path]);
  return sha256(JSON.stringify({ revision: documentRevision, format, distro: inventory.distro ?? null, packages }));
}

/**
 * The SBOM of `subject` as a referrer: `created` is when the inventory was read (the scan's end), the document's
 * timestamp and the manifest's `org.opencontainers.image.created` alike.
 */
export function sbomArtifact(format: SbomFormat, inventory: Inventory, subject: SbomSubject & { readonly descriptor: Descriptor }, created: Date): SbomArtifact {
  const artifactType = SBOM_MEDIA_TYPES[format];
  const document = Buffer.from(JSON.stringify(format === 'cyclonedx' ? toCycloneDx(inventory, subject, created) : toSpdx(inventory, subject, created)));
  const config: Descriptor = { mediaType: mediaTypes.ociEmpty, digest: sha256(emptyConfig), size: emptyConfig.length };
  const layer: Descriptor = { mediaType: artifactType, digest: sha256(document), size: document.length };
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    artifactType,
    config,
    layers: [{ ...layer, annotations: { [titleAnnotation]: fileNames[format] } }],
    subject: subject.descriptor,
    annotations: {
      [sbomAnnotations.created]: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      [sbomAnnotations.description]: `${formatNames[format]} SBOM of the image, from Berth's scan of its layers`,
      [sbomAnnotations.scanner]: 'berth',
      [sbomAnnotations.format]: format,
      [sbomAnnotations.inventory]: inventoryFingerprint(inventory, format),
    },
  }));
  return {
    artifactType, document, manifest, manifestDigest: sha256(manifest),
    blobs: [{ descriptor: config, bytes: emptyConfig }, { descriptor: layer, bytes: document }],
  };
}

/** Whether a referrer is an SBOM Berth attached (users' own SBOMs are never touched). */
export function isBerthSbom(referrer: Referrer): boolean {
  return referrer.annotations?.[sbomAnnotations.scanner] !== undefined;
}

/** The SBOM Berth attached to an image, as the vulnerability report names it. */
export interface SbomView {
  /** The SBOM manifest's digest: `GET /v2/<repository>/manifests/<digest>`, or `oras pull <repository>@<digest>`. */
  readonly digest: string;
  readonly artifactType: string;
  readonly format: SbomFormat | undefined;
  readonly size: number;
  readonly created: string | undefined;
}

/** The newest of the SBOMs Berth attached (there are two only while one replaces the other). */
export function sbomView(referrers: readonly Referrer[]): SbomView | undefined {
  const created = (referrer: Referrer): string => referrer.annotations?.[sbomAnnotations.created] ?? '';
  const newest = referrers.filter(isBerthSbom).reduce<Referrer | undefined>((best, referrer) => (best === undefined || created(referrer) > created(best) ? referrer : best), undefined);
  if (newest === undefined) return undefined;
  const artifactType = newest.artifactType ?? '';
  return {
    digest: newest.digest, artifactType, format: sbomFormatOf(artifactType), size: newest.size,
    created: newest.annotations?.[sbomAnnotations.created],
  };
}

/** The format of an SBOM referrer, from its artifact type. */
export function sbomFormatOf(artifactType: string | undefined): SbomFormat | undefined {
  return (Object.keys(SBOM_MEDIA_TYPES) as SbomFormat[]).find((format) => SBOM_MEDIA_TYPES[format] === artifactType);
}

function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

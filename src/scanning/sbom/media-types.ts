// The artifact types of SBOMs attached to an image as OCI referrers (the manifest's `artifactType`, and the media type
// of its one layer), as CycloneDX and SPDX register them and as other registries and tools (oras, Trivy) use them.

export const CYCLONEDX_JSON_MEDIA_TYPE = 'application/vnd.cyclonedx+json';
export const SPDX_JSON_MEDIA_TYPE = 'application/spdx+json';

export type SbomFormat = 'cyclonedx' | 'spdx';

export const SBOM_MEDIA_TYPES: Readonly<Record<SbomFormat, string>> = {
  cyclonedx: CYCLONEDX_JSON_MEDIA_TYPE,
  spdx: SPDX_JSON_MEDIA_TYPE,
};

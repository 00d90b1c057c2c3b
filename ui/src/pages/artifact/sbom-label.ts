/** SBOM artifact types as Berth attaches them (scanning.sbom) and as other tools (oras, Trivy, Syft) push them. */
const formats: Readonly<Record<string, string>> = {
  'application/vnd.cyclonedx+json': 'CycloneDX',
  'application/spdx+json': 'SPDX',
};

/** What a person calls an SBOM referrer: "SBOM (CycloneDX)", or the bare "SBOM" for a format not known here. */
export function sbomLabel(artifactType: string | null | undefined): string {
  const format = artifactType ? formats[artifactType] : undefined;
  return format === undefined ? 'SBOM' : `SBOM (${format})`;
}

/** Whether Berth attached the referrer itself, from its scan (the annotation marks the SBOMs it replaces on a rescan). */
export function attachedByBerth(annotations: Readonly<Record<string, string>> | null | undefined): boolean {
  return annotations?.['dev.berth.sbom.scanner'] !== undefined;
}

/**
 * What kind of thing a referrer (or a cosign tag) is, from its artifact type, for the UI to group them: signatures
 * (cosign, Notary Project), SBOMs (SPDX, CycloneDX, Syft), attestations (in-toto, sigstore bundles), or other.
 */
export type ReferrerGroup = 'signature' | 'sbom' | 'attestation' | 'other';

const signatures = ['application/vnd.dev.cosign.artifact.sig.v1+json', 'application/vnd.cncf.notary.signature', 'application/vnd.dev.cosign.simplesigning.v1+json'];
const sboms = ['spdx', 'cyclonedx', 'syft', 'sbom'];
const attestations = ['in-toto', 'application/vnd.dev.sigstore.bundle', 'application/vnd.dev.cosign.attestation', 'dsse'];

export function referrerGroup(artifactType: string | undefined): ReferrerGroup {
  const type = (artifactType ?? '').toLowerCase();
  if (signatures.some((known) => type.startsWith(known))) return 'signature';
  if (sboms.some((word) => type.includes(word))) return 'sbom';
  if (attestations.some((known) => type.includes(known))) return 'attestation';
  return 'other';
}

/** The tags cosign writes beside an image when the registry's referrers API is not used: `sha256-<hex>.sig` and kin. */
export const cosignTagSuffixes: Readonly<Record<string, ReferrerGroup>> = { sig: 'signature', att: 'attestation', sbom: 'sbom' };

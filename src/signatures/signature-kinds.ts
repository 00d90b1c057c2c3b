import { parseDigest } from '../oci/digest.js';
import type { SignatureFormat } from './verdict.js';

/**
 * Which kind of signature a manifest is, from what discovery sees: the manifest's `artifactType` first, then its
 * config's media type (cosign's oci-1-1 mode sets no artifactType; the go-containerregistry fallback index lists the
 * config type), then its layers' media types (cosign's legacy `.sig` and `.att` manifests use a plain image config).
 */
export const signatureMediaTypes = {
  notationSignature: 'application/vnd.cncf.notary.signature',
  notationJws: 'application/jose+json',
  notationCose: 'application/cose',
  cosignArtifactSignature: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  dsseEnvelope: 'application/vnd.dsse.envelope.v1+json',
  sigstoreBundlePrefix: 'application/vnd.dev.sigstore.bundle',
} as const;

export interface ManifestShape {
  readonly artifactType?: unknown;
  readonly config?: { readonly mediaType?: unknown };
  readonly layers?: readonly { readonly mediaType?: unknown }[];
}

export type SignatureKind =
  | { readonly kind: SignatureFormat; readonly layers: readonly number[] }
  | { readonly kind: 'not-a-signature'; readonly reason: string; /** It says it is a signature, but is not a well-formed one. */ readonly malformed?: SignatureFormat };

/** The layers to verify (by index) and how; a manifest that is not a signature says why. */
export function classifySignatureManifest(manifest: ManifestShape): SignatureKind {
  const types = [manifest.artifactType, manifest.config?.mediaType].filter((type): type is string => typeof type === 'string');
  const layers = (manifest.layers ?? []).map((layer) => (typeof layer?.mediaType === 'string' ? layer.mediaType : ''));
  const indexes = (wanted: (type: string) => boolean): number[] => layers.flatMap((type, index) => (wanted(type) ? [index] : []));

  if (types.includes(signatureMediaTypes.notationSignature)) {
    // The Notary Project's signature manifest holds exactly one envelope.
    if (layers.length !== 1) return { kind: 'not-a-signature', malformed: 'notation-jws', reason: `a notation signature has exactly one layer, this one has ${layers.length}` };
    if (layers[0] === signatureMediaTypes.notationJws) return { kind: 'notation-jws', layers: [0] };
    if (layers[0] === signatureMediaTypes.notationCose) return { kind: 'notation-cose', layers: [0] };
    return { kind: 'not-a-signature', malformed: 'notation-jws', reason: `notation envelope type ${layers[0]} is neither JWS nor COSE` };
  }
  if (types.some((type) => type.startsWith(signatureMediaTypes.sigstoreBundlePrefix))) {
    const bundles = indexes((type) => type.startsWith(signatureMediaTypes.sigstoreBundlePrefix));
    return bundles.length > 0 ? { kind: 'sigstore-bundle', layers: bundles } : { kind: 'not-a-signature', malformed: 'sigstore-bundle', reason: 'a sigstore bundle artifact without a bundle layer' };
  }
  const simple = indexes((type) => type === signatureMediaTypes.cosignSimpleSigning);
  if (types.includes(signatureMediaTypes.cosignArtifactSignature) || simple.length > 0) {
    return simple.length > 0 ? { kind: 'cosign-simple-signing', layers: simple } : { kind: 'not-a-signature', malformed: 'cosign-simple-signing', reason: 'a cosign signature artifact without simple-signing layers' };
  }
  const envelopes = indexes((type) => type === signatureMediaTypes.dsseEnvelope);
  if (envelopes.length > 0) return { kind: 'cosign-attestation', layers: envelopes };
  return { kind: 'not-a-signature', reason: 'neither its artifact type, config nor layers are a signature type' };
}

/** cosign's legacy tag for a digest's signatures (`sig`) or attestations (`att`): `sha256-<hex>.sig`. */
export function cosignTagFor(digest: string, suffix: 'sig' | 'att'): string | undefined {
  const parsed = parseDigest(digest);
  return parsed === undefined ? undefined : `${parsed.algorithm}-${parsed.hex}.${suffix}`;
}

/** The digest and suffix a cosign legacy tag names, or undefined for any other tag. */
export function parseCosignTag(tag: string): { digest: string; suffix: 'sig' | 'att' } | undefined {
  const match = /^(sha256|sha512)-([a-f0-9]+)\.(sig|att)$/.exec(tag);
  if (match === null) return undefined;
  const digest = `${match[1]}:${match[2]}`;
  return parseDigest(digest) === undefined ? undefined : { digest, suffix: match[3] as 'sig' | 'att' };
}

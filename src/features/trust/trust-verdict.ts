import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { Refusal } from '../../registry/registry-policy.js';
import { indexMediaTypes } from '../../oci/media-types.js';
import { classifySignatureManifest } from '../../signatures/signature-kinds.js';
import type { ProjectTrust } from './project-trust.js';
import type { FoundSignature, SignatureDiscovery } from './signature-discovery.js';

/** Whether a manifest may be trusted, why, and until when the answer holds. */
export interface TrustVerdict {
  readonly trusted: boolean;
  /**
   * Why: `signed` (a valid signature of its own), `signed-index` (a signed index of the repository lists it),
   * `platforms` (an unsigned index under per-platform enforcement: each platform is checked when it is pulled),
   * `accessory` (it is itself a signature, attestation or other artifact about a manifest), or `unsigned` /
   * `untrusted` (no signature at all / none valid from a trusted key).
   */
  readonly basis: 'signed' | 'signed-index' | 'platforms' | 'accessory' | 'unsigned' | 'untrusted';
  /** The signatures found for the manifest (for `signed-index`, the index's), each with its verdict. */
  readonly signatures: readonly FoundSignature[];
  /** The index that vouches for it, for `signed-index`. */
  readonly index?: string;
  /** When a certificate it rests on expires (ms), or infinity. */
  readonly until: number;
}

/** Judges a manifest of a repository against what its project trusts, and how (see TrustVerdict). */
export async function judgeTrust(metadata: MetadataStore, discovery: SignatureDiscovery, trust: ProjectTrust, repository: string,
  digest: string, at = new Date()): Promise<TrustVerdict> {
  const manifest = await metadata.manifestByDigest(repository, digest);
  if (manifest === undefined) return { trusted: false, basis: 'unsigned', signatures: [], until: Number.POSITIVE_INFINITY };
  const shape = parseShape(manifest.content);
  // Signatures and attestations are served whatever the mode, or nothing could be verified; so is anything naming a
  // subject (an SBOM), which is about an image rather than one to run.
  if (shape !== undefined && (shape.subject !== undefined || classifySignatureManifest(shape).kind !== 'not-a-signature')) {
    return { trusted: true, basis: 'accessory', signatures: [], until: Number.POSITIVE_INFINITY };
  }
  const subject = { digest, mediaType: manifest.mediaType, size: manifest.size };
  const signatures = await discovery.signaturesOf(repository, subject, trust, at);
  const own = verdictOf(signatures);
  if (own.trusted) return { trusted: true, basis: 'signed', signatures, until: own.until };
  const perPlatform = trust.policy?.perPlatform === true;
  // Each platform needs its own signature (cosign sign --recursive), checked when that platform is pulled; the index
  // only lists them, so it is served to let clients choose theirs.
  if (perPlatform && indexMediaTypes.has(manifest.mediaType)) return { trusted: true, basis: 'platforms', signatures, until: Number.POSITIVE_INFINITY };
  // cosign signs an index by its digest (unless --recursive): the index vouches for the platforms it lists.
  for (const index of perPlatform ? [] : await metadata.trust().indexesHolding(repository, digest)) {
    const stored = await metadata.manifestByDigest(repository, index);
    if (stored === undefined) continue;
    const indexSignatures = await discovery.signaturesOf(repository, { digest: index, mediaType: stored.mediaType, size: stored.size }, trust, at);
    const vouched = verdictOf(indexSignatures);
    if (vouched.trusted) return { trusted: true, basis: 'signed-index', signatures: indexSignatures, index, until: vouched.until };
  }
  return { trusted: false, basis: signatures.length === 0 ? 'unsigned' : 'untrusted', signatures, until: Number.POSITIVE_INFINITY };
}

function verdictOf(signatures: readonly FoundSignature[]): { trusted: boolean; until: number } {
  let until = Number.NEGATIVE_INFINITY;
  for (const { verdict } of signatures) {
    if (!verdict.valid || verdict.role !== 'signature') continue;
    // Several valid signatures: the verdict holds while any of them does.
    until = Math.max(until, verdict.validUntil?.getTime() ?? Number.POSITIVE_INFINITY);
  }
  return until === Number.NEGATIVE_INFINITY ? { trusted: false, until: Number.POSITIVE_INFINITY } : { trusted: true, until };
}

/** The 403 a refused pull answers: what was found, and what to do. */
export function trustRefusal(verdict: TrustVerdict, project: string, repository: string, digest: string, perPlatform = false): Refusal {
  const found = verdict.signatures.map(({ verdict: one }) => (one.valid ? `a valid ${one.role} by ${one.signer} (not a signature)` : one.reason));
  const distinct = [...new Set(found)];
  const what = verdict.basis === 'unsigned'
    ? 'it has no signature'
    : `none of its ${verdict.signatures.length} signature${verdict.signatures.length === 1 ? '' : 's'} is valid from a key the project trusts: `
      + `${distinct.slice(0, 3).join('; ')}${distinct.length > 3 ? '; …' : ''}`;
  return {
    rule: verdict.basis === 'unsigned' ? 'trust-unsigned' : 'trust-untrusted',
    message: `project ${project} only serves images signed by a key it trusts, and ${repository}@${digest} is refused: ${what}. `
      + (perPlatform ? 'The project checks each platform of an index on its own: sign every platform (cosign sign --recursive). ' : '')
      + `Sign it (cosign sign --key KEY ${repository}@${digest}, or notation sign) with a key or certificate the project trusts, or ask a `
      + `project maintainer to trust yours (berth trust add-key ${project} --cosign-key KEY.pub); berth trust status ${repository}@${digest} shows what was found`,
    detail: {
      policy: 'trust', project,
      signatures: verdict.signatures.map(({ artifact, via, verdict: one }) => ({
        artifact, via, tool: one.tool, format: one.format, valid: one.valid, ...(one.valid ? { signer: one.signer } : { failure: one.failure, reason: one.reason }),
      })),
    },
  };
}

interface ManifestShape {
  readonly subject?: unknown;
  readonly artifactType?: unknown;
  readonly config?: { readonly mediaType?: unknown };
  readonly layers?: readonly { readonly mediaType?: unknown }[];
}

function parseShape(content: Buffer): ManifestShape | undefined {
  try {
    const parsed = JSON.parse(content.toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as ManifestShape : undefined;
  } catch {
    return undefined;
  }
}

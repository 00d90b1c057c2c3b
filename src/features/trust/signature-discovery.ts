import type { Readable } from 'node:stream';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import { readSmallBlob } from '../../registry/read-small-blob.js';
import { verifyCosignAttestation } from '../../signatures/cosign-attestation.js';
import { verifyCosignSimpleSigning } from '../../signatures/cosign-simple-signing.js';
import { classifySignatureManifest, cosignTagFor } from '../../signatures/signature-kinds.js';
import { verifyNotationSignature } from '../../signatures/notation-verifier.js';
import { verifySigstoreBundle } from '../../signatures/sigstore-bundle.js';
import { maxSignatureBytes, type SignatureFormat, type SignatureVerdict, type SignedSubject } from '../../signatures/verdict.js';
import type { SignatureTrust } from './project-trust.js';

/** One signature found for a manifest, where it was found, and what checking it said. */
export interface FoundSignature {
  /** The signature manifest's digest. */
  readonly artifact: string;
  /** How it was found: cosign's legacy tag, or the referrers of the manifest (`subject`). */
  readonly via: 'tag' | 'referrer';
  readonly verdict: SignatureVerdict;
}

/** Signature manifests read per manifest checked, and layers per signature manifest: bounds on hostile input. */
const maxArtifacts = 32;
const maxLayers = 64;

/**
 * Finds a manifest's signatures in its repository, as cosign and notation store them: the legacy `sha256-<hex>.sig`
 * tag and every referrer whose artifact type (or config type, or layers) makes it a signature; reads each
 * signature's layers (at most 1 MiB each) and verifies them, offline, against what the project trusts. Signatures
 * in other repositories are not looked at (cosign's COSIGN_REPOSITORY): trust stays within the repository pulled.
 */
export class SignatureDiscovery {
  readonly #metadata: MetadataStore;
  readonly #readBlob: (digest: string) => Promise<Readable>;

  constructor(metadata: MetadataStore, readBlob: (digest: string) => Promise<Readable>) {
    this.#metadata = metadata;
    this.#readBlob = readBlob;
  }

  /**
   * What a verdict about `digest` rests on, as one string: the manifests that may sign it (its `.sig` tag, its
   * referrers) and, unless each platform is checked on its own, the indexes that list it with theirs. Two equal
   * answers mean the same signatures would be found, so a verdict made under the same keys still holds. Two or three
   * indexed reads, where a verdict reads and verifies every signature.
   */
  async signatureSet(repository: string, digest: string, perPlatform: boolean): Promise<string> {
    const own = (await this.#candidates(repository, digest)).map((candidate) => candidate.digest).join(',');
    if (perPlatform) return own;
    const indexes = await this.#metadata.trust().indexesHolding(repository, digest);
    const theirs = await Promise.all(indexes.map(async (index) => `${index}=${(await this.#candidates(repository, index)).map((candidate) => candidate.digest).join(',')}`));
    return [own, ...theirs].join(';');
  }

  async signaturesOf(repository: string, subject: SignedSubject, trust: SignatureTrust, at = new Date()): Promise<FoundSignature[]> {
    const candidates = await this.#candidates(repository, subject.digest);
    const found: FoundSignature[] = [];
    for (const candidate of candidates.slice(0, maxArtifacts)) {
      const manifest = await this.#metadata.manifestByDigest(repository, candidate.digest);
      if (manifest === undefined) continue;
      let parsed: { artifactType?: unknown; config?: { mediaType?: unknown }; layers?: { mediaType?: unknown; digest?: unknown; annotations?: unknown }[] };
      try {
        parsed = JSON.parse(manifest.content.toString('utf8'));
      } catch {
        continue;
      }
      const kind = classifySignatureManifest(parsed);
      // Referrers also hold SBOMs and other artifacts: only signatures count, and one that says it is a signature
      // but is malformed is reported, never passed over in silence.
      if (kind.kind === 'not-a-signature') {
        if (kind.malformed !== undefined) {
          const tool = kind.malformed.startsWith('notation') ? 'notation' : 'cosign';
          found.push({ artifact: candidate.digest, via: candidate.via, verdict: { valid: false, tool, format: kind.malformed, failure: 'malformed', reason: kind.reason } });
        }
        continue;
      }
      const layers = kind.layers.slice(0, maxLayers);
      for (const index of layers) {
        const layer = parsed.layers?.[index];
        const verdict = await this.#verifyLayer(kind.kind, layer, repository, subject, trust, at);
        found.push({ artifact: candidate.digest, via: candidate.via, verdict });
      }
      if (kind.layers.length > maxLayers) {
        found.push({
          artifact: candidate.digest, via: candidate.via,
          verdict: { valid: false, tool: 'cosign', format: kind.kind, failure: 'malformed', reason: `the signature manifest has ${kind.layers.length} signatures; Berth reads the first ${maxLayers}` },
        });
      }
    }
    if (candidates.length > maxArtifacts) {
      found.push({
        artifact: candidates[maxArtifacts]!.digest, via: candidates[maxArtifacts]!.via,
        verdict: { valid: false, tool: 'cosign', format: 'cosign-simple-signing', failure: 'malformed', reason: `${candidates.length} signature artifacts; Berth reads the first ${maxArtifacts}` },
      });
    }
    return found;
  }

  /** The manifests that may be signatures of `digest`: its cosign `.sig` tag, then its referrers. */
  async #candidates(repository: string, digest: string): Promise<{ digest: string; via: FoundSignature['via'] }[]> {
    const candidates: { digest: string; via: FoundSignature['via'] }[] = [];
    const tag = cosignTagFor(digest, 'sig');
    const tagged = tag === undefined ? undefined : await this.#metadata.manifestByTag(repository, tag);
    if (tagged) candidates.push({ digest: tagged.digest, via: 'tag' });
    for (const referrer of await this.#metadata.referrers(repository, digest)) {
      if (!candidates.some((candidate) => candidate.digest === referrer.digest)) candidates.push({ digest: referrer.digest, via: 'referrer' });
    }
    return candidates;
  }

  async #verifyLayer(format: SignatureFormat, layer: { mediaType?: unknown; digest?: unknown; annotations?: unknown } | undefined, repository: string,
    subject: SignedSubject, trust: SignatureTrust, at: Date): Promise<SignatureVerdict> {
    const tool = format.startsWith('notation') ? 'notation' : 'cosign';
    if (typeof layer?.digest !== 'string') return { valid: false, tool, format, failure: 'malformed', reason: 'a signature layer without a digest' };
    const bytes = await readSmallBlob(this.#readBlob, layer.digest, maxSignatureBytes);
    if (bytes.length === 0) {
      return { valid: false, tool, format, failure: 'malformed', reason: `the signature layer ${layer.digest} is missing, empty or larger than ${maxSignatureBytes} bytes` };
    }
    const annotations = isStringRecord(layer.annotations) ? layer.annotations : {};
    switch (format) {
      case 'cosign-simple-signing':
        return verifyCosignSimpleSigning({ payload: bytes, layer: { digest: layer.digest, annotations }, subject, trust: trust.cosign, at });
      case 'sigstore-bundle':
        return verifySigstoreBundle({ bundle: bytes, subject, trust: trust.cosign, at });
      case 'cosign-attestation':
        return verifyCosignAttestation({ envelope: bytes, layerDigest: layer.digest, subject, trust: trust.cosign, at });
      default: {
        if (trust.notation === undefined) {
          return {
            valid: false, tool, format, failure: 'no-policy',
            reason: 'notation signatures are verified against a project\'s notation trust policy and trust stores, which this project has not set (berth trust notation-policy)',
          };
        }
        if (subject.mediaType === undefined || subject.size === undefined) {
          return { valid: false, tool, format, failure: 'malformed', reason: 'notation signs the whole descriptor, and the signed manifest\'s media type or size is unknown' };
        }
        return verifyNotationSignature({
          envelope: bytes, envelopeMediaType: typeof layer.mediaType === 'string' ? layer.mediaType : '',
          subject: { digest: subject.digest, mediaType: subject.mediaType, size: subject.size },
          policy: trust.notation.policy, repository, trustStores: trust.notation.stores, at,
        });
      }
    }
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((entry) => typeof entry === 'string');
}

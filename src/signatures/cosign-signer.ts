import type { KeyObject, X509Certificate } from 'node:crypto';
import { describeCertificate, anchorChain, checkChainStructure, checkValidity, earliestExpiry, readChain } from './x509-chain.js';
import type { TrustedKey } from './public-keys.js';
import { type Checked, failed, passed } from './verdict.js';

/**
 * Who vouches for a cosign signature: a trusted public key that verifies it, or else a certificate (with its chain)
 * that leads to one of the project's CA roots, is valid at the time of the check, carries the code-signing usage and
 * names an identity the project trusts. Shared by simple signing, sigstore bundles and legacy attestations, which
 * differ only in the bytes signed (the `verifies` callback).
 */
export interface CosignTrust {
  readonly keys: readonly TrustedKey[];
  /** CA roots (or intermediates) the project trusts for certificate-based signatures. */
  readonly roots: readonly X509Certificate[];
  /** Identities required of a certificate signer; empty or absent: any the roots vouch for. */
  readonly identities?: readonly CertificateIdentity[];
}

export interface CertificateIdentity {
  /** A subject alternative name: an e-mail address or a URI, compared exactly. */
  readonly subject: string;
  /** The OIDC issuer Fulcio-style certificates carry; when given, it must match too. */
  readonly issuer?: string;
}

export interface SignatureMaterial {
  /** DER certificates, leaf first, when the signature came with a certificate. */
  readonly certificates?: readonly Uint8Array[];
  /** A sigstore bundle's key hint: base64(sha256(SPKI DER)). */
  readonly keyHint?: string;
  /** The signature came with a transparency-log entry (a keyless signature's evidence). */
  readonly hasTransparencyLog?: boolean;
}

export interface CosignSigner {
  readonly signer: string;
  readonly validUntil?: Date;
}

export function findCosignSigner(verifies: (key: KeyObject) => boolean, material: SignatureMaterial, trust: CosignTrust, at: Date): Checked<CosignSigner> {
  const hinted = trust.keys.filter((key) => key.hint === material.keyHint);
  for (const key of [...hinted, ...trust.keys.filter((key) => key.hint !== material.keyHint)]) {
    if (verifies(key.key)) return passed({ signer: key.name });
  }
  if (material.certificates !== undefined && material.certificates.length > 0) return certificateSigner(verifies, material, trust, at);
  if (hinted.length > 0) return failed('bad-signature', `signature does not match the trusted key "${hinted[0]!.name}" its bundle names`);
  if (trust.keys.length === 0) return failed('untrusted-signer', 'signed with a key, and the project trusts no cosign keys');
  return failed('untrusted-signer', `signature does not match any of the project's ${trust.keys.length} trusted cosign key(s)`);
}

function certificateSigner(verifies: (key: KeyObject) => boolean, material: SignatureMaterial, trust: CosignTrust, at: Date): Checked<CosignSigner> {
  const chain = readChain(material.certificates!);
  if (!chain.ok) return chain;
  const leaf = chain.value[0]!;
  const identity = leaf.facts.emails[0] ?? leaf.facts.uris[0] ?? describeCertificate(leaf);
  const anchored = anchorChain(chain.value, trust.roots);
  if (!anchored.ok) {
    if (leaf.facts.oidcIssuer !== undefined || material.hasTransparencyLog === true) {
      return failed('unsupported', `keyless signature by ${identity}: keyless signatures need Fulcio's roots and a Rekor log entry or timestamp, which Berth does not verify offline; sign with a key or a project CA`);
    }
    return failed('untrusted-signer', trust.roots.length === 0 ? `signed with certificate ${identity}, and the project trusts no certificate roots` : anchored.reason);
  }
  const structure = checkChainStructure(chain.value, 'cosign');
  if (!structure.ok) return structure;
  const validity = checkValidity(anchored.value, at);
  if (!validity.ok) return validity;
  const wanted = trust.identities ?? [];
  const names = [...leaf.facts.emails, ...leaf.facts.uris];
  if (wanted.length > 0 && !wanted.some((entry) => names.includes(entry.subject) && (entry.issuer === undefined || entry.issuer === leaf.facts.oidcIssuer))) {
    const issuer = leaf.facts.oidcIssuer === undefined ? '' : ` (issuer ${leaf.facts.oidcIssuer})`;
    return failed('untrusted-signer', `certificate identity ${names.join(', ') || identity}${issuer} is not one the project trusts`);
  }
  if (!verifies(leaf.certificate.publicKey)) return failed('bad-signature', `signature does not match the key of certificate ${identity}`);
  return passed({ signer: identity, validUntil: earliestExpiry(anchored.value) });
}

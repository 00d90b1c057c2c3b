import { X509Certificate } from 'node:crypto';
import { type CertificateFacts, certificateFacts, distinguishedName, ekuOids, extensionOids } from './certificate-facts.js';
import { keyWeakness } from './public-keys.js';
import { type Checked, errorText, failed, passed } from './verdict.js';

/**
 * Certificate chains, leaf first, checked in three separate steps because notation's trust policy enforces or logs
 * them separately: structure (each certificate issued and signed by the next, CA constraints, key sizes, no SHA-1:
 * integrity), anchoring in a trust store (authenticity) and validity at a time (authentic timestamp). Node's
 * X509Certificate (OpenSSL) parses and verifies each certificate; certificate-facts.ts reads what it does not expose.
 */
export interface ChainCertificate {
  readonly certificate: X509Certificate;
  readonly facts: CertificateFacts;
}

/** Real chains are two to four certificates; anything longer is refused before a single one is parsed. */
export const maxChainLength = 10;
const maxCertificateBytes = 64 * 1024;

/** How a leaf may be used: cosign requires the code-signing EKU, notation forbids EKUs for other purposes. */
export type ChainProfile = 'cosign' | 'notation';

export function readChain(ders: readonly Uint8Array[], maxLength = maxChainLength): Checked<ChainCertificate[]> {
  if (ders.length === 0) return failed('malformed', 'no certificate was given');
  if (ders.length > maxLength) return failed('malformed', `certificate chain of ${ders.length} certificates is longer than the limit of ${maxLength}`);
  const chain: ChainCertificate[] = [];
  for (const [index, der] of ders.entries()) {
    if (der.length > maxCertificateBytes) return failed('malformed', `certificate ${index + 1} of the chain is over ${maxCertificateBytes / 1024} KiB`);
    try {
      chain.push({ certificate: new X509Certificate(der), facts: certificateFacts(der) });
    } catch (error) {
      return failed('malformed', `certificate ${index + 1} of the chain cannot be read: ${errorText(error)}`);
    }
  }
  return passed(chain);
}

/** The DER certificates of concatenated PEM blocks (cosign's certificate and chain annotations), counted first. */
export function pemCertificates(pem: string, maxLength = maxChainLength): Checked<Buffer[]> {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? [];
  const markers = pem.split('-----BEGIN ').length - 1;
  if (markers > maxLength) return failed('malformed', `certificate chain of ${markers} certificates is longer than the limit of ${maxLength}`);
  if (blocks.length === 0 || blocks.length !== markers) return failed('malformed', 'not a PEM certificate chain');
  const ders: Buffer[] = [];
  for (const block of blocks) {
    const body = block.slice('-----BEGIN CERTIFICATE-----'.length, -'-----END CERTIFICATE-----'.length).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return failed('malformed', 'a PEM certificate is not base64');
    ders.push(Buffer.from(body, 'base64'));
  }
  return passed(ders);
}

/** Signature algorithms accepted on certificates: SHA-2 with RSA (PKCS#1 or PSS) and ECDSA, and EdDSA. */
const acceptedAlgorithms = new Set([
  '1.2.840.113549.1.1.11', '1.2.840.113549.1.1.12', '1.2.840.113549.1.1.13',
  '1.2.840.113549.1.1.10/2.16.840.1.101.3.4.2.1', '1.2.840.113549.1.1.10/2.16.840.1.101.3.4.2.2', '1.2.840.113549.1.1.10/2.16.840.1.101.3.4.2.3',
  '1.2.840.10045.4.3.2', '1.2.840.10045.4.3.3', '1.2.840.10045.4.3.4',
  '1.3.101.112', '1.3.101.113',
]);
const weakAlgorithms: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'SHA-1 with RSA', '1.2.840.10045.4.1': 'ECDSA with SHA-1', '1.2.840.113549.1.1.4': 'MD5 with RSA',
  '1.2.840.113549.1.1.10/1.3.14.3.2.26': 'RSA-PSS with SHA-1', '1.2.840.10040.4.3': 'DSA with SHA-1',
};
/** Critical extensions this code understands; a certificate with any other critical extension is refused (RFC 5280 §4.2). */
const understoodCritical = new Set<string>([extensionOids.basicConstraints, extensionOids.keyUsage, extensionOids.extendedKeyUsage, extensionOids.subjectAltName]);
/** EKUs notation refuses on a signing leaf: they mark certificates made for something else. */
const foreignUsages = new Map<string, string>([[ekuOids.any, 'any'], [ekuOids.serverAuth, 'serverAuth'], [ekuOids.emailProtection, 'emailProtection'],
  [ekuOids.timeStamping, 'timeStamping'], [ekuOids.ocspSigning, 'OCSPSigning']]);

export function describeCertificate(entry: ChainCertificate): string {
  return entry.facts.subject.length > 0 ? `"${distinguishedName(entry.facts.subject)}"` : `with SHA-256 fingerprint ${entry.certificate.fingerprint256}`;
}

/** Each certificate signed by the next, issuers that are CAs, leaf usage, key sizes and algorithms (integrity). */
export function checkChainStructure(chain: readonly ChainCertificate[], profile: ChainProfile): Checked<void> {
  for (const [index, entry] of chain.entries()) {
    const name = describeCertificate(entry);
    const algorithm = entry.facts.signatureAlgorithm;
    if (!acceptedAlgorithms.has(algorithm)) return failed('unsupported', `certificate ${name} is signed with ${weakAlgorithms[algorithm] ?? `algorithm ${algorithm}`}, which is not accepted`);
    const weakness = keyWeakness(entry.certificate.publicKey);
    if (weakness !== undefined) return failed('unsupported', `certificate ${name}: ${weakness}`);
    for (const [oid, extension] of entry.facts.extensions) {
      if (extension.critical && !understoodCritical.has(oid)) return failed('unsupported', `certificate ${name} has a critical extension ${oid} that Berth does not check`);
    }
    const issuer = chain[index + 1];
    if (issuer !== undefined) {
      if (!entry.certificate.checkIssued(issuer.certificate) || !entry.certificate.verify(issuer.certificate.publicKey)) {
        return failed('malformed', `certificate ${name} was not issued by the next certificate in the chain, ${describeCertificate(issuer)}`);
      }
      const problem = issuerProblem(issuer, index, profile);
      if (problem !== undefined) return failed('untrusted-signer', problem);
    }
  }
  const last = chain[chain.length - 1]!;
  if (profile === 'notation' && !isSelfSigned(last)) {
    return failed('malformed', `the chain ends at ${describeCertificate(last)}, which is not a self-signed root; notation chains end at their root`);
  }
  const leafProblem = profile === 'cosign' ? cosignLeafProblem(chain[0]!) : notationLeafProblem(chain[0]!);
  return leafProblem === undefined ? passed(undefined) : failed('untrusted-signer', leafProblem);
}

/** Compared by name, not with checkIssued: OpenSSL's issuer check wants keyCertSign, which a self-signed leaf lacks. */
function isSelfSigned(entry: ChainCertificate): boolean {
  return entry.certificate.subject === entry.certificate.issuer && entry.certificate.verify(entry.certificate.publicKey);
}

/** `below` is the index of the certificate this one issued: that many CA certificates sit between it and the leaf. */
function issuerProblem(issuer: ChainCertificate, below: number, profile: ChainProfile): string | undefined {
  const name = describeCertificate(issuer);
  const constraints = issuer.facts.basicConstraints;
  if (constraints === undefined || !constraints.ca) return `certificate ${name} issued another certificate but is not a CA (basicConstraints CA:TRUE)`;
  if (profile === 'notation' && !constraints.critical) return `CA certificate ${name} must mark basicConstraints critical`;
  if (constraints.pathLength !== undefined && below > constraints.pathLength) return `CA certificate ${name} allows ${constraints.pathLength} intermediate CAs below it, the chain has ${below}`;
  const usage = issuer.facts.keyUsage;
  if (usage === undefined ? profile === 'notation' : !usage.usages.has('keyCertSign')) return `CA certificate ${name} lacks the keyCertSign key usage`;
  return undefined;
}

function cosignLeafProblem(leaf: ChainCertificate): string | undefined {
  const name = describeCertificate(leaf);
  if (!(leaf.facts.extendedKeyUsage ?? []).includes(ekuOids.codeSigning)) return `certificate ${name} lacks the code-signing extended key usage cosign requires`;
  const usage = leaf.facts.keyUsage;
  if (usage !== undefined && !usage.usages.has('digitalSignature')) return `certificate ${name} lacks the digitalSignature key usage`;
  return undefined;
}

function notationLeafProblem(leaf: ChainCertificate): string | undefined {
  const name = describeCertificate(leaf);
  const usage = leaf.facts.keyUsage;
  if (usage === undefined || !usage.usages.has('digitalSignature')) return `signing certificate ${name} lacks the digitalSignature key usage`;
  if (!usage.critical) return `signing certificate ${name} must mark keyUsage critical`;
  if (leaf.facts.basicConstraints?.ca === true) return `signing certificate ${name} is a CA certificate`;
  const foreign = (leaf.facts.extendedKeyUsage ?? []).find((oid) => foreignUsages.has(oid));
  if (foreign !== undefined) return `signing certificate ${name} is made for ${foreignUsages.get(foreign)}, not code signing`;
  return undefined;
}

/**
 * The part of the chain that counts, ending at a trust anchor: the first certificate whose SHA-256 fingerprint is an
 * anchor's, or else an anchor that issued the last certificate (chains may leave out their root).
 */
export function anchorChain(chain: readonly ChainCertificate[], anchors: readonly X509Certificate[]): Checked<X509Certificate[]> {
  const trusted = new Set(anchors.map((anchor) => anchor.fingerprint256));
  const path: X509Certificate[] = [];
  for (const entry of chain) {
    path.push(entry.certificate);
    if (trusted.has(entry.certificate.fingerprint256)) return passed(path);
  }
  const last = chain[chain.length - 1]!.certificate;
  const issuer = anchors.find((anchor) => anchor.ca && last.checkIssued(anchor) && last.verify(anchor.publicKey));
  if (issuer !== undefined) return passed([...path, issuer]);
  return failed('untrusted-signer', `the certificate chain of ${describeCertificate(chain[0]!)} does not lead to a trusted root`);
}

/** Every certificate of the path valid at `at`. */
export function checkValidity(path: readonly X509Certificate[], at: Date): Checked<void> {
  for (const certificate of path) {
    const subject = `"${certificate.subject.replace(/\n/g, ', ')}"`;
    if (at < new Date(certificate.validFrom)) return failed('expired', `certificate ${subject} is not valid before ${new Date(certificate.validFrom).toISOString()}`);
    if (at > new Date(certificate.validTo)) return failed('expired', `certificate ${subject} expired on ${new Date(certificate.validTo).toISOString()}`);
  }
  return passed(undefined);
}

/** The earliest notAfter of the path: when a verdict that relied on it must be made again. */
export function earliestExpiry(path: readonly X509Certificate[]): Date {
  return new Date(Math.min(...path.map((certificate) => new Date(certificate.validTo).getTime())));
}

/** All three steps, for cosign certificates: structure, anchoring, validity at `at`. */
export function verifyCertificateChain(ders: readonly Uint8Array[], anchors: readonly X509Certificate[], profile: ChainProfile, at: Date): Checked<{ leaf: ChainCertificate; path: X509Certificate[] }> {
  const chain = readChain(ders);
  if (!chain.ok) return chain;
  const structure = checkChainStructure(chain.value, profile);
  if (!structure.ok) return structure;
  const path = anchorChain(chain.value, anchors);
  if (!path.ok) return path;
  const validity = checkValidity(path.value, at);
  if (!validity.ok) return validity;
  return passed({ leaf: chain.value[0]!, path: path.value });
}

/** Trusted roots from PEM text (a project's CA bundle, a notation trust store), each one a certificate. */
export function parseTrustAnchors(pem: string, maxCount = 100): Checked<X509Certificate[]> {
  const ders = pemCertificates(pem, maxCount);
  if (!ders.ok) return ders;
  try {
    return passed(ders.value.map((der) => new X509Certificate(der)));
  } catch (error) {
    return failed('malformed', `a trusted certificate cannot be read: ${errorText(error)}`);
  }
}

import { type CosignTrust, findCosignSigner } from './cosign-signer.js';
import { dsseVerifies, parseDsseEnvelope } from './dsse.js';
import { decodeBase64, isRecord, parseJson } from './encodings.js';
import { cosignSignPredicate, parseInTotoStatement, statementNamesSubject } from './in-toto-statement.js';
import { type FailureKind, type SignatureVerdict, type SignedSubject, errorText, invalid, tooLarge } from './verdict.js';

/**
 * Sigstore bundles (v0.1 to v0.3), as cosign ≥2.6 `sign --new-bundle-format` and `attest --new-bundle-format` push
 * them as referrers: a DSSE envelope over an in-toto statement, with a public-key hint or the signing certificate.
 * Verified offline against the project's keys or CA roots; keyless material (Fulcio certificates with Rekor entries)
 * is answered as unsupported rather than half-checked.
 */
export const sigstoreBundleMediaTypes: ReadonlySet<string> = new Set([
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
]);

export interface SigstoreBundleVerification {
  readonly bundle: Uint8Array;
  readonly subject: SignedSubject;
  readonly trust: CosignTrust;
  readonly at?: Date;
}

export function verifySigstoreBundle(input: SigstoreBundleVerification): SignatureVerdict {
  try {
    return verify(input);
  } catch (error) {
    return invalid('cosign', 'sigstore-bundle', 'malformed', `the bundle could not be read: ${errorText(error)}`);
  }
}

function verify({ bundle: bytes, subject, trust, at = new Date() }: SigstoreBundleVerification): SignatureVerdict {
  const fail = (failure: FailureKind, reason: string): SignatureVerdict => invalid('cosign', 'sigstore-bundle', failure, reason);
  const size = tooLarge('sigstore bundle', bytes.length);
  if (size !== undefined) return fail('malformed', size);
  const bundle = parseJson(bytes);
  if (!isRecord(bundle)) return fail('malformed', 'the sigstore bundle is not a JSON object');
  if (!sigstoreBundleMediaTypes.has(bundle.mediaType as string)) return fail('unsupported', `bundle media type ${JSON.stringify(bundle.mediaType)} is not a sigstore bundle v0.1 to v0.3`);
  if (bundle.messageSignature !== undefined) return fail('unsupported', 'message-signature bundles sign a blob, not an image manifest');
  const envelope = parseDsseEnvelope(bundle.dsseEnvelope);
  if (!envelope.ok) return fail(envelope.failure, envelope.reason);
  const material = isRecord(bundle.verificationMaterial) ? bundle.verificationMaterial : {};
  const certificates = bundleCertificates(material);
  if (certificates === null) return fail('malformed', 'the bundle\'s certificate is not base64 DER');
  const hint = isRecord(material.publicKey) && typeof material.publicKey.hint === 'string' ? material.publicKey.hint : undefined;
  const tlog = Array.isArray(material.tlogEntries) && material.tlogEntries.length > 0;

  const signer = findCosignSigner((key) => dsseVerifies(envelope.value, key), { certificates, keyHint: hint, hasTransparencyLog: tlog }, trust, at);
  if (!signer.ok) return fail(signer.failure, signer.reason);
  const statement = parseInTotoStatement(envelope.value.payloadType, envelope.value.payload);
  if (!statement.ok) return fail(statement.failure, statement.reason);
  const named = statementNamesSubject(statement.value, subject);
  if (!named.ok) return fail(named.failure, named.reason);
  const role = statement.value.predicateType === cosignSignPredicate ? 'signature' : 'attestation';
  return {
    valid: true, tool: 'cosign', format: 'sigstore-bundle', signer: signer.value.signer, role,
    predicateType: statement.value.predicateType, validUntil: signer.value.validUntil, warnings: [],
  };
}

/** v0.3 carries one `certificate`, v0.1 and v0.2 an `x509CertificateChain`; null when present but unreadable. */
function bundleCertificates(material: Record<string, unknown>): Buffer[] | undefined | null {
  const entries = isRecord(material.certificate) ? [material.certificate]
    : isRecord(material.x509CertificateChain) && Array.isArray(material.x509CertificateChain.certificates) ? material.x509CertificateChain.certificates : undefined;
  if (entries === undefined) return undefined;
  const ders = entries.map((entry) => (isRecord(entry) ? decodeBase64(entry.rawBytes) : undefined));
  return ders.every((der) => der !== undefined && der.length > 0) ? (ders as Buffer[]) : null;
}

import { createHash } from 'node:crypto';
import { parseDigest } from '../oci/digest.js';
import { type CosignTrust, findCosignSigner } from './cosign-signer.js';
import { decodeBase64, isRecord, parseJson } from './encodings.js';
import { verifyCosignSignature } from './public-keys.js';
import { type SignatureVerdict, type SignedSubject, errorText, invalid, tooLarge } from './verdict.js';
import { pemCertificates } from './x509-chain.js';

/**
 * cosign's simple signing (the `.sig` tag and `--registry-referrers-mode oci-1-1`): each layer of the signature
 * manifest is a JSON payload naming the signed manifest's digest, with the signature over the payload's exact bytes
 * in an annotation, and optionally the signing certificate and its chain in two more.
 */
export const cosignAnnotations = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  rekorBundle: 'dev.sigstore.cosign/bundle',
} as const;
export const simpleSigningType = 'cosign container image signature';

export interface SimpleSigningLayer {
  readonly digest: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface SimpleSigningVerification {
  /** The layer's blob, exactly as stored. */
  readonly payload: Uint8Array;
  readonly layer: SimpleSigningLayer;
  readonly subject: SignedSubject;
  readonly trust: CosignTrust;
  readonly at?: Date;
}

export function verifyCosignSimpleSigning(input: SimpleSigningVerification): SignatureVerdict {
  try {
    return verify(input);
  } catch (error) {
    return invalid('cosign', 'cosign-simple-signing', 'malformed', `the signature could not be read: ${errorText(error)}`);
  }
}

function verify({ payload, layer, subject, trust, at = new Date() }: SimpleSigningVerification): SignatureVerdict {
  const fail = (failure: Parameters<typeof invalid>[2], reason: string): SignatureVerdict => invalid('cosign', 'cosign-simple-signing', failure, reason);
  const size = tooLarge('signature payload', payload.length);
  if (size !== undefined) return fail('malformed', size);
  const layerDigest = parseDigest(layer.digest);
  if (layerDigest === undefined) return fail('malformed', `layer digest ${layer.digest} is not a sha256 or sha512 digest`);
  if (createHash(layerDigest.algorithm).update(payload).digest('hex') !== layerDigest.hex) return fail('malformed', `the payload's bytes do not match the layer digest ${layer.digest}`);
  const claim = parseJson(payload);
  const critical = isRecord(claim) && isRecord(claim.critical) ? claim.critical : undefined;
  const named = critical !== undefined && isRecord(critical.image) ? critical.image['docker-manifest-digest'] : undefined;
  if (critical === undefined || typeof named !== 'string') return fail('malformed', 'the payload is not a cosign simple-signing payload (no critical.image.docker-manifest-digest)');
  if (critical.type !== simpleSigningType) return fail('malformed', `the payload's critical.type ${JSON.stringify(critical.type)} is not "${simpleSigningType}"`);
  if (named !== subject.digest) return fail('wrong-subject', `payload names ${named}, not the pulled digest ${subject.digest}`);

  const annotations = layer.annotations ?? {};
  const signature = decodeBase64(annotations[cosignAnnotations.signature]);
  if (signature === undefined || signature.length === 0) return fail('malformed', `the ${cosignAnnotations.signature} annotation is missing or not base64`);
  let certificates: Buffer[] | undefined;
  const certificate = annotations[cosignAnnotations.certificate];
  if (certificate !== undefined && certificate !== '') {
    const read = pemCertificates(`${certificate}\n${annotations[cosignAnnotations.chain] ?? ''}`);
    if (!read.ok) return fail(read.failure, `the certificate annotations: ${read.reason}`);
    certificates = read.value;
  }
  const signer = findCosignSigner((key) => verifyCosignSignature(key, payload, signature), {
    certificates, hasTransparencyLog: annotations[cosignAnnotations.rekorBundle] !== undefined,
  }, trust, at);
  if (!signer.ok) return fail(signer.failure, signer.reason);
  return {
    valid: true, tool: 'cosign', format: 'cosign-simple-signing', signer: signer.value.signer, role: 'signature',
    validUntil: signer.value.validUntil, warnings: [],
  };
}

import { FlattenedSign } from 'jose';
import { blobOf, type BuiltManifest, type Descriptor, emptyConfig, finish, mediaTypes } from './image-builder.js';
import type { TestCertificate } from './signature-pki.js';

/** What notation signs: the whole descriptor of the manifest (media type, digest, size). */
export interface NotationTarget {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** The leaf extensions the Notary Project requires of a signing certificate. */
export const notationLeafExtensions = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning'];

export const notationSignatureType = 'application/vnd.cncf.notary.signature';

/**
 * A notation JWS envelope over `target`, as `notation sign` writes one: the payload `{targetArtifact}`, the protected
 * header with the signing scheme (critical) and signing time, the certificate chain (leaf first) in x5c. `header` adds
 * protected header fields, `critical` marks them critical; `payload` replaces the signed payload (a hostile one).
 */
export async function notationJws(signer: TestCertificate, chain: readonly TestCertificate[], target: NotationTarget, options: {
  readonly alg?: string; readonly header?: Record<string, unknown>; readonly critical?: readonly string[]; readonly payload?: Buffer;
} = {}): Promise<Buffer> {
  const critical = ['io.cncf.notary.signingScheme', ...(options.critical ?? [])];
  const payload = options.payload ?? Buffer.from(JSON.stringify({ targetArtifact: target }));
  const envelope = await new FlattenedSign(payload)
    .setProtectedHeader({
      alg: options.alg ?? 'ES256', cty: 'application/vnd.cncf.notary.payload.v1+json', crit: critical,
      'io.cncf.notary.signingScheme': 'notary.x509', 'io.cncf.notary.signingTime': new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...options.header,
    })
    .setUnprotectedHeader({ x5c: [signer, ...chain].map((one) => one.der.toString('base64')), 'io.cncf.notary.signingAgent': 'berth-test' })
    .sign(signer.privateKey, { crit: Object.fromEntries(critical.map((name) => [name, true])) });
  return Buffer.from(JSON.stringify(envelope));
}

/** The signature artifact notation pushes as a referrer of `subject`: its one layer is the envelope. */
export function notationSignatureManifest(subject: Descriptor, envelope: Buffer, envelopeType = 'application/jose+json'): BuiltManifest {
  const layer = blobOf(envelope, envelopeType);
  return finish({
    schemaVersion: 2, mediaType: mediaTypes.ociManifest, artifactType: notationSignatureType, config: emptyConfig().descriptor,
    layers: [layer.descriptor], subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  }, mediaTypes.ociManifest, [emptyConfig(), layer]);
}

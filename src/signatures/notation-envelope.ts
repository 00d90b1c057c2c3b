import type { KeyObject } from 'node:crypto';

/**
 * What a notation signature envelope says, read out of either encoding (JWS in notation-jws.ts, COSE in
 * notation-cose.ts), so that notation-verifier.ts applies the same rules to both.
 */
export type NotationAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

export interface NotationEnvelope {
  readonly format: 'notation-jws' | 'notation-cose';
  readonly algorithm: NotationAlgorithm;
  readonly contentType: unknown;
  readonly signingScheme: string;
  readonly signingTime?: Date;
  readonly expiry?: Date;
  /** DER certificates, leaf first. */
  readonly certificates: readonly Uint8Array[];
  readonly payload: Uint8Array;
  /** The unprotected header carries an RFC 3161 timestamp countersignature (Berth reads its presence only). */
  readonly hasTimestamp: boolean;
  readonly signingAgent?: string;
  /** Checks the envelope's signature with the signing certificate's key, for `algorithm`; false on any failure. */
  verifySignature(key: KeyObject): Promise<boolean>;
}

export const notationPayloadType = 'application/vnd.cncf.notary.payload.v1+json';
export const notaryHeaders = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  expiry: 'io.cncf.notary.expiry',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  timestampSignature: 'io.cncf.notary.timestampSignature',
  signingAgent: 'io.cncf.notary.signingAgent',
} as const;
/** Critical headers Berth understands; any other (a verification plugin's, say) fails closed. */
export const understoodCriticalHeaders: ReadonlySet<string> = new Set([notaryHeaders.signingScheme, notaryHeaders.expiry, notaryHeaders.authenticSigningTime]);

/** The one algorithm the Notary Project allows for a key: RSA 2048/3072/4096 → PS256/384/512, P-256/384/521 → ES256/384/512. */
export function algorithmForKey(key: KeyObject): NotationAlgorithm | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    return ({ 2048: 'PS256', 3072: 'PS384', 4096: 'PS512' } as const)[details.modulusLength as 2048 | 3072 | 4096];
  }
  if (key.asymmetricKeyType === 'ec') {
    return ({ prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' } as const)[details.namedCurve as 'prime256v1' | 'secp384r1' | 'secp521r1'];
  }
  return undefined;
}

export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  return key.asymmetricKeyType === 'ec' ? `EC ${details.namedCurve}` : `${key.asymmetricKeyType?.toUpperCase()} ${details.modulusLength ?? ''}`.trim();
}

/** The hash each algorithm signs with. */
export function algorithmHash(algorithm: NotationAlgorithm): 'sha256' | 'sha384' | 'sha512' {
  return `sha${algorithm.slice(2)}` as 'sha256' | 'sha384' | 'sha512';
}

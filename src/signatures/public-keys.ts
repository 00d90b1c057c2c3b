import { constants, createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { type Checked, errorText, failed, passed } from './verdict.js';

/** A public key a project trusts, with the name verdicts report as the signer. */
export interface TrustedKey {
  readonly name: string;
  readonly key: KeyObject;
  /** base64(sha256(SPKI DER)): how sigstore bundles hint at their key. */
  readonly hint: string;
}

/** Reads a PEM `PUBLIC KEY` (SPKI), as `cosign generate-key-pair` writes `cosign.pub`; refuses weak keys. */
export function parseTrustedKey(name: string, pem: string): Checked<TrustedKey> {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    return failed('malformed', `not a PEM public key: ${errorText(error)}`);
  }
  const weakness = keyWeakness(key);
  if (weakness !== undefined) return failed('unsupported', weakness);
  return passed({ name, key, hint: keyHint(key) });
}

export function keyHint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('base64');
}

/** Why a key is not accepted for signatures, or undefined: the key types and sizes cosign and notation use. */
export function keyWeakness(key: KeyObject): string | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return ['prime256v1', 'secp384r1', 'secp521r1'].includes(details.namedCurve ?? '') ? undefined : `EC curve ${details.namedCurve} is not accepted (P-256, P-384, P-521 are)`;
    case 'rsa':
    case 'rsa-pss':
      return (details.modulusLength ?? 0) >= 2048 ? undefined : `RSA key of ${details.modulusLength} bits is too short (2048 at least)`;
    case 'ed25519':
      return undefined;
    default:
      return `${key.asymmetricKeyType} keys are not accepted for signatures`;
  }
}

/** The hash a curve is used with: cosign and notation pair P-256 with SHA-256, P-384 with SHA-384, P-521 with SHA-512. */
export function curveHash(key: KeyObject): 'sha256' | 'sha384' | 'sha512' {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
}

/**
 * Verifies a signature as cosign makes them (sigstore's default verifiers): ECDSA with a DER signature over the
 * curve's hash (SHA-256 also accepted on the larger curves, as older cosign used it), Ed25519 over the message
 * itself, RSA PKCS#1 v1.5 or PSS over SHA-256. Never throws: a signature of the wrong shape is just false.
 */
export function verifyCosignSignature(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    switch (key.asymmetricKeyType) {
      case 'ec': {
        const hash = curveHash(key);
        return verify(hash, message, key, signature) || (hash !== 'sha256' && verify('sha256', message, key, signature));
      }
      case 'ed25519':
        return verify(null, message, key, signature);
      case 'rsa':
        return verify('sha256', message, key, signature)
          || verify('sha256', message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
      case 'rsa-pss':
        return verify('sha256', message, { key, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

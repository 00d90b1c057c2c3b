/**
 * What every signature check answers. A check never throws on what it was handed: a signature that cannot be read
 * is as untrusted as one that does not verify, so parse errors become verdicts too, with a short reason a person
 * can act on.
 */
export type SignatureTool = 'cosign' | 'notation';

/** Which artifact carried the signature (see signature-kinds.ts for how manifests are classified). */
export type SignatureFormat = 'cosign-simple-signing' | 'sigstore-bundle' | 'cosign-attestation' | 'notation-jws' | 'notation-cose';

/**
 * Why a signature was not accepted, in the groups a refused pull names: `malformed` (cannot be read), `wrong-subject`
 * (signs another digest, or another descriptor), `bad-signature` (the bytes do not verify), `untrusted-signer` (it
 * verifies, but nothing the project trusts vouches for the key or certificate, or the identity is not the one
 * required), `expired` (a certificate or the signature is out of its validity at the time of the check),
 * `unsupported` (a form Berth does not verify offline, such as keyless), `no-policy` (no trust policy applies),
 * `skipped` (the notation trust policy for the repository says `skip`: nothing was verified, and the caller decides).
 */
export type FailureKind = 'malformed' | 'wrong-subject' | 'bad-signature' | 'untrusted-signer' | 'expired' | 'unsupported' | 'no-policy' | 'skipped';

export interface ValidSignature {
  readonly valid: true;
  readonly tool: SignatureTool;
  readonly format: SignatureFormat;
  /** Who signed: the trusted key's name, a certificate's e-mail or URI, or a notation leaf's subject DN. */
  readonly signer: string;
  /** `signature`, or `attestation` for an in-toto statement of another predicate type (not a signature). */
  readonly role: 'signature' | 'attestation';
  readonly predicateType?: string;
  /** When a cached verdict must be computed again: the earliest certificate `notAfter` or signature expiry. */
  readonly validUntil?: Date;
  /** Failures a trust policy said to log rather than enforce, and checks Berth did not make (a timestamp). */
  readonly warnings: readonly string[];
}

export interface InvalidSignature {
  readonly valid: false;
  readonly tool: SignatureTool;
  readonly format: SignatureFormat;
  readonly failure: FailureKind;
  readonly reason: string;
}

export type SignatureVerdict = ValidSignature | InvalidSignature;

/** The subject a signature must name: the manifest being pulled. */
export interface SignedSubject {
  /** `sha256:<hex>` (or `sha512:<hex>`) of the manifest bytes. */
  readonly digest: string;
  /** The manifest's media type and size: notation signs the whole descriptor. */
  readonly mediaType?: string;
  readonly size?: number;
}

/** The largest envelope, payload or bundle any check reads; real ones are a few KiB. */
export const maxSignatureBytes = 1024 * 1024;

/** An intermediate result: a value, or why not. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: FailureKind; readonly reason: string };

export const passed = <T>(value: T): Checked<T> => ({ ok: true, value });
export const failed = (failure: FailureKind, reason: string): { ok: false; failure: FailureKind; reason: string } => ({ ok: false, failure, reason });

export function invalid(tool: SignatureTool, format: SignatureFormat, failure: FailureKind, reason: string): InvalidSignature {
  return { valid: false, tool, format, failure, reason };
}

/** The message of anything a parser threw, for a reason. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function tooLarge(what: string, bytes: number): string | undefined {
  return bytes > maxSignatureBytes ? `${what} of ${bytes} bytes is over the ${maxSignatureBytes / 1024 / 1024} MiB limit for signatures` : undefined;
}

/**
 * Strict decoders for the text encodings signatures travel in. Buffer.from(text, 'base64') skips characters it does
 * not know and stops at the first '=', so two different strings could decode to the same bytes; a signature must
 * be exactly one string.
 */
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const base64UrlPattern = /^[A-Za-z0-9_-]*$/;

/** Standard base64 with padding; undefined when the text is anything else. */
export function decodeBase64(text: unknown): Buffer | undefined {
  if (typeof text !== 'string') return undefined;
  const compact = text.replace(/\s+/g, ''); // PEM bodies and some tools wrap lines
  return base64Pattern.test(compact) ? Buffer.from(compact, 'base64') : undefined;
}

/** Unpadded base64url (JWS); undefined when the text is anything else. */
export function decodeBase64Url(text: unknown): Buffer | undefined {
  if (typeof text !== 'string' || !base64UrlPattern.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64url');
}

/** JSON.parse that answers undefined instead of throwing. */
export function parseJson(bytes: Uint8Array | string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

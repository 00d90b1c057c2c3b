/**
 * A small reader of DER (the binary encoding of X.509 certificates), enough to read the facts Node's
 * X509Certificate does not expose: the signature algorithm, and each extension with its criticality. Node (OpenSSL)
 * still parses and verifies the certificate itself; this only reads fields. Every read is bounded by the input, so
 * hostile bytes end in a DerError, never a read past the end or unbounded work.
 */
export class DerError extends Error {}

export interface DerNode {
  /** The whole identifier octet: class, constructed bit and tag number (low tag numbers only, as X.509 uses). */
  readonly tag: number;
  /** The content octets. */
  readonly content: Uint8Array;
  /** The whole element, header included. */
  readonly raw: Uint8Array;
}

export const derTags = {
  boolean: 0x01, integer: 0x02, bitString: 0x03, octetString: 0x04, oid: 0x06, utf8String: 0x0c,
  printableString: 0x13, ia5String: 0x16, utcTime: 0x17, generalizedTime: 0x18, sequence: 0x30, set: 0x31,
} as const;

/** Reads one element at `offset`; returns it and the offset after it. */
export function readDer(bytes: Uint8Array, offset = 0): { node: DerNode; next: number } {
  if (offset + 2 > bytes.length) throw new DerError('truncated DER element');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used in certificates');
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    // Four length octets cover any certificate; DER forbids the indefinite form (0x80).
    if (octets === 0 || octets > 4) throw new DerError('unsupported DER length');
    if (offset + 2 + octets > bytes.length) throw new DerError('truncated DER length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[offset + 2 + i]!;
    header += octets;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new DerError('DER element runs past the end of its container');
  return { node: { tag, content: bytes.subarray(offset + header, end), raw: bytes.subarray(offset, end) }, next: end };
}

/** The elements inside a constructed element (a SEQUENCE, a SET, an explicit tag). */
export function derChildren(node: DerNode): DerNode[] {
  const children: DerNode[] = [];
  let offset = 0;
  while (offset < node.content.length) {
    const { node: child, next } = readDer(node.content, offset);
    children.push(child);
    offset = next;
  }
  return children;
}

/** A whole input that must be exactly one element. */
export function parseDer(bytes: Uint8Array): DerNode {
  const { node, next } = readDer(bytes, 0);
  if (next !== bytes.length) throw new DerError('trailing bytes after the DER element');
  return node;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node === undefined || node.tag !== tag) throw new DerError(`expected ${what}`);
  return node;
}

/** Dotted form of an OBJECT IDENTIFIER's content. */
export function oidText(node: DerNode): string {
  const bytes = expectTag(node, derTags.oid, 'an object identifier').content;
  if (bytes.length === 0 || bytes.length > 64) throw new DerError('bad object identifier');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('object identifier arc too large');
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  if ((bytes[bytes.length - 1]! & 0x80) !== 0) throw new DerError('truncated object identifier');
  const first = arcs.shift()!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

/** The text of a string type (UTF8String, PrintableString, IA5String and the like). */
export function derString(node: DerNode): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(node.content);
}

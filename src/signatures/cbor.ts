/**
 * A strict decoder for the CBOR (RFC 8949) of COSE envelopes, and the one encoder COSE verification needs (the
 * Sig_structure). Like go-cose, which notation uses, it refuses indefinite lengths and duplicate map keys; it also
 * bounds nesting and item counts, so hostile bytes end in a CborError, never in unbounded work.
 */
export class CborError extends Error {}

export type CborValue = number | bigint | string | Uint8Array | boolean | null | undefined | CborValue[] | CborMap | CborTagged;
export type CborMap = Map<number | string, CborValue>;

export class CborTagged {
  constructor(readonly tag: number, readonly value: CborValue) {}
}

const maxDepth = 16;
const maxItems = 10_000;

/** Decodes one whole CBOR item; trailing bytes are an error. */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const reader = { bytes, offset: 0, items: 0 };
  const value = readItem(reader, 0);
  if (reader.offset !== bytes.length) throw new CborError('trailing bytes after the CBOR item');
  return value;
}

interface Reader {
  readonly bytes: Uint8Array;
  offset: number;
  items: number;
}

function take(reader: Reader, length: number): Uint8Array {
  if (length > reader.bytes.length - reader.offset) throw new CborError('truncated CBOR');
  const slice = reader.bytes.subarray(reader.offset, reader.offset + length);
  reader.offset += length;
  return slice;
}

function readArgument(reader: Reader, info: number): number | bigint {
  if (info < 24) return info;
  const width = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (width === 0) throw new CborError(info === 31 ? 'indefinite-length CBOR is not accepted' : 'reserved CBOR additional information');
  const bytes = take(reader, width);
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function readLength(reader: Reader, info: number): number {
  const length = readArgument(reader, info);
  // Every element takes at least one byte, so no honest length exceeds what is left.
  if (typeof length === 'bigint' || length > reader.bytes.length - reader.offset) throw new CborError('CBOR length runs past the end');
  return length;
}

function readItem(reader: Reader, depth: number): CborValue {
  if (depth > maxDepth) throw new CborError('CBOR nested too deeply');
  if (++reader.items > maxItems) throw new CborError('too many CBOR items');
  const initial = take(reader, 1)[0]!;
  const major = initial >> 5;
  const info = initial & 0x1f;
  switch (major) {
    case 0:
      return readArgument(reader, info);
    case 1: {
      const value = readArgument(reader, info);
      return typeof value === 'bigint' ? -1n - value : -1 - value;
    }
    case 2:
      return take(reader, readLength(reader, info));
    case 3:
      return new TextDecoder('utf-8', { fatal: true }).decode(take(reader, readLength(reader, info)));
    case 4: {
      const length = readLength(reader, info);
      const items: CborValue[] = [];
      for (let i = 0; i < length; i++) items.push(readItem(reader, depth + 1));
      return items;
    }
    case 5: {
      const length = readLength(reader, info);
      const map: CborMap = new Map();
      for (let i = 0; i < length; i++) {
        const key = readItem(reader, depth + 1);
        if (typeof key !== 'number' && typeof key !== 'string') throw new CborError('CBOR map keys must be integers or text');
        if (map.has(key)) throw new CborError(`duplicate CBOR map key ${String(key)}`);
        map.set(key, readItem(reader, depth + 1));
      }
      return map;
    }
    case 6: {
      const tag = readArgument(reader, info);
      if (typeof tag === 'bigint') throw new CborError('CBOR tag out of range');
      return new CborTagged(tag, readItem(reader, depth + 1));
    }
    default:
      return readSimple(reader, info);
  }
}

function readSimple(reader: Reader, info: number): CborValue {
  if (info === 20) return false;
  if (info === 21) return true;
  if (info === 22) return null;
  if (info === 23) return undefined;
  const view = (width: number): DataView => {
    const bytes = take(reader, width);
    return new DataView(bytes.buffer, bytes.byteOffset, width);
  };
  if (info === 25) return halfFloat(view(2).getUint16(0));
  if (info === 26) return view(4).getFloat32(0);
  if (info === 27) return view(8).getFloat64(0);
  throw new CborError(`unsupported CBOR simple value ${info}`);
}

function halfFloat(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function head(major: number, length: number): Uint8Array {
  if (length < 24) return Uint8Array.of((major << 5) | length);
  if (length < 0x100) return Uint8Array.of((major << 5) | 24, length);
  if (length < 0x10000) return Uint8Array.of((major << 5) | 25, length >> 8, length & 0xff);
  const bytes = new Uint8Array(5);
  bytes[0] = (major << 5) | 26;
  new DataView(bytes.buffer).setUint32(1, length);
  return bytes;
}

/** CBOR of a byte string. */
export function encodeBytes(bytes: Uint8Array): Buffer {
  return Buffer.concat([head(2, bytes.length), bytes]);
}

/** CBOR of an array of already-encoded items. */
export function encodeArray(items: readonly Uint8Array[]): Buffer {
  return Buffer.concat([head(4, items.length), ...items]);
}

/** CBOR of a text string. */
export function encodeText(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([head(3, bytes.length), bytes]);
}

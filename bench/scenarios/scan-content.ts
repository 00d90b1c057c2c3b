import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { MiB, RandomContent } from '../client/content.js';
import { seededChoice } from '../client/seeded-random.js';

/**
 * The bytes of the scan session's layers: deterministic (the same seed gives the same layer, byte for byte, so a
 * layer made once serves every round), and about as compressible as real image layers (Debian's base image is
 * 2.5 times smaller gzipped): text files are pseudo-words, binaries a mix of random blocks and text, so that gzip
 * works as hard per byte as it does on real layers, and a compressed MB means what it means there.
 */

const poolBytes = 4 * MiB;
const blockBytes = 4096;

/** Pseudo-words made of syllables: text with the entropy of prose, not of random bytes. */
const syllables = ['ab', 'ac', 'al', 'an', 'ar', 'ba', 'be', 'ca', 'co', 'de', 'di', 'el', 'en', 'er', 'es', 'fa', 'ge', 'ha', 'in', 'is',
  'ka', 'la', 'le', 'li', 'lo', 'ma', 'me', 'mi', 'mo', 'na', 'ne', 'no', 'on', 'or', 'pa', 'pe', 'ra', 're', 'ri', 'ro', 'sa', 'se',
  'si', 'so', 'ta', 'te', 'ti', 'to', 'tu', 'un', 'ur', 'va', 've', 'vi', 'xe', 'za'];

/** Word `index` of the vocabulary: the same word for the same index everywhere (package names use them too). */
export function word(index: number, stream = 7): string {
  const length = 2 + seededChoice(3, 0x5ca9, stream, index);
  let text = '';
  for (let part = 0; part < length; part++) text += syllables[seededChoice(syllables.length, 0x5ca9, stream + 1 + part, index)]!;
  return text;
}

let pools: { text: Buffer; binary: Buffer } | undefined;

/** 4 MiB of text and 4 MiB of random bytes, made once; file bodies are slices of them. */
function contentPools(): { text: Buffer; binary: Buffer } {
  if (pools) return pools;
  const vocabulary = Array.from({ length: 1024 }, (_, index) => word(index));
  const parts: string[] = [];
  let length = 0;
  for (let index = 0; length < poolBytes; index++) {
    // Word frequencies fall off as in prose: a few words are common, most are rare.
    const rank = seededChoice(1024, 0x7e47, 1, index);
    const chosen = vocabulary[seededChoice(rank + 1, 0x7e47, 2, index)]!;
    const separator = index % 13 === 12 ? '.\n' : index % 5 === 4 ? ', ' : ' ';
    parts.push(chosen, separator);
    length += chosen.length + separator.length;
  }
  const text = Buffer.from(parts.join('')).subarray(0, poolBytes);
  const binary = new RandomContent(poolBytes, Buffer.alloc(16, 0x42)).bytes();
  pools = { text, binary };
  return pools;
}

export type BodyKind = 'text' | 'binary';

/**
 * The body of a file of `size` bytes as slices of the pools: text throughout, or for binaries one random block in
 * eight (gzip then shrinks text about 3 times and binaries about 2.5 times, as it does real files of both kinds).
 */
export function* fileBody(kind: BodyKind, size: number, seed: number): Generator<Buffer> {
  const { text, binary } = contentPools();
  for (let offset = 0, block = 0; offset < size; block++) {
    const length = Math.min(blockBytes * 16, size - offset);
    const random = kind === 'binary' && block % 8 === 0;
    const pool = random ? binary : text;
    const start = seededChoice(poolBytes - length, seed, 3, block);
    yield pool.subarray(start, start + length);
    offset += length;
  }
}

/** What a written layer is: where, its digest and compressed size, and the size of its tar. */
export interface LayerFile {
  readonly path: string;
  readonly digest: string;
  readonly size: number;
  readonly tarBytes: number;
  /** The digest of the tar itself: the image config's diff_id. */
  readonly diffId: string;
  readonly entries: number;
}

const regular = '0';
const symbolicLink = '2';
const directory = '5';

/**
 * Writes a gzipped tar as image builders do (ustar headers, owned by root, one fixed time), streamed: nothing but the
 * entry being written is held, so a layer of any size can be made. Node's zlib at level 6, gzip's default.
 */
export class TarGzWriter {
  readonly #gzip: zlib.Gzip;
  readonly #hash = createHash('sha256');
  readonly #tarHash = createHash('sha256');
  readonly #done: Promise<void>;
  #compressed = 0;
  #tarBytes = 0;
  #entries = 0;

  constructor(readonly path: string, level = 6) {
    this.#gzip = zlib.createGzip({ level, chunkSize: 256 * 1024 });
    const tap = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.#hash.update(chunk);
        this.#compressed += chunk.length;
        callback(null, chunk);
      },
    });
    this.#done = pipeline(this.#gzip, tap, createWriteStream(path));
    // A failure shows when finish() awaits it; until then it must not count as unhandled.
    this.#done.catch(() => undefined);
  }

  async directory(path: string): Promise<void> {
    this.#entries++;
    await this.#write(header(path.endsWith('/') ? path : `${path}/`, 0o755, 0, directory, ''));
  }

  async symlink(path: string, target: string): Promise<void> {
    this.#entries++;
    await this.#write(header(path, 0o777, 0, symbolicLink, target));
  }

  async file(path: string, mode: number, body: Buffer | Iterable<Buffer>, size?: number): Promise<void> {
    const length = Buffer.isBuffer(body) ? body.length : size;
    if (length === undefined) throw new Error(`${path}: a streamed body needs its size`);
    this.#entries++;
    await this.#write(header(path, mode, length, regular, ''));
    let written = 0;
    for (const chunk of Buffer.isBuffer(body) ? [body] : body) {
      await this.#write(chunk);
      written += chunk.length;
    }
    if (written !== length) throw new Error(`${path}: wrote ${written} bytes, announced ${length}`);
    const padding = (512 - (length % 512)) % 512;
    if (padding > 0) await this.#write(Buffer.alloc(padding));
  }

  async finish(): Promise<LayerFile> {
    // Two zero blocks end the archive.
    await this.#write(Buffer.alloc(1024));
    this.#gzip.end();
    await this.#done;
    return {
      path: this.path, digest: `sha256:${this.#hash.digest('hex')}`, size: this.#compressed, tarBytes: this.#tarBytes,
      diffId: `sha256:${this.#tarHash.digest('hex')}`, entries: this.#entries,
    };
  }

  /** Bytes of tar written so far. */
  get tarBytes(): number {
    return this.#tarBytes;
  }

  async #write(chunk: Buffer): Promise<void> {
    this.#tarBytes += chunk.length;
    this.#tarHash.update(chunk);
    if (!this.#gzip.write(chunk)) await once(this.#gzip, 'drain');
  }
}

/** A ustar header block; names past 100 bytes are split into prefix and name at a slash. */
function header(path: string, mode: number, size: number, type: string, linkName: string): Buffer {
  const block = Buffer.alloc(512);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) throw new Error(`${path}: too long for a ustar header`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;
  block.write(name, 0, 100);
  block.write(octal(mode, 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(size, 12), 124);
  // 2024-01-01, as reproducible builds set every time to one value.
  block.write(octal(1_704_067_200, 12), 136);
  block.write('        ', 148);
  block.write(type, 156);
  block.write(linkName, 157, 100);
  block.write('ustar\u000000', 257);
  block.write('root', 265, 32);
  block.write('root', 297, 32);
  block.write(prefix, 345, 155);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/** A small gzipped tar held in memory: for images of a few files, pushed by the thousand. */
export function smallTarGz(files: readonly { readonly path: string; readonly body: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const { path, body } of files) {
    blocks.push(header(path, 0o644, body.length, regular, ''), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(blocks));
}

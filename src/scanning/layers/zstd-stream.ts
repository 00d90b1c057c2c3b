import { Decompress } from 'fzstd';

/**
 * Zstandard decompression for Node versions without `zlib.createZstdDecompress` (before 22.15), over fzstd's
 * streaming decoder. fzstd decodes every whole block it is given in one synchronous call, so a 64 KiB chunk of
 * hostile RLE blocks (4 bytes in, 128 KiB out each) would come back as 2 GiB at once. This reads the frame format
 * (RFC 8878) itself and hands the decoder one block at a time, yielding between blocks so the consumer's back
 * pressure holds: at most one block (128 KiB) of input is kept and a few blocks of output are produced per step.
 */

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames (magic 0x184D2A50 to 0x184D2A5F) carry metadata every decoder ignores. */
const SKIPPABLE_MAGIC = 0x184d2a50;
/**
 * The decoder allocates the whole window up front, so windows are capped as zstd's own decoder caps them unless told
 * otherwise (ZSTD_WINDOWLOG_LIMIT_DEFAULT = 27): 128 MiB. Layers compressed with `--long=28` or more are refused.
 */
const MAX_WINDOW = 2 ** 27;
/** Block_Maximum_Size: no block holds more than 128 KiB, compressed or not (RFC 8878 section 3.1.1.2.3). */
const MAX_BLOCK = 128 * 1024;
const NO_BYTES = Buffer.alloc(0);

type FrameState =
  | { readonly at: 'frame' }
  | { readonly at: 'skip'; remaining: number }
  | { readonly at: 'block'; readonly checksum: boolean }
  | { readonly at: 'checksum' };

/** The decompressed bytes of a stream of zstd frames; throws on malformed or truncated input. */
export async function* decompressZstd(compressed: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const output: Buffer[] = [];
  const decoder = new Decompress((data) => {
    if (data.length > 0) output.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  const input = new ByteQueue();
  const state: { current: FrameState } = { current: { at: 'frame' } };
  for await (const chunk of compressed) {
    input.push(chunk);
    for (let unit = nextUnit(input, state); unit !== undefined; unit = nextUnit(input, state)) {
      if (unit.length > 0) decoder.push(unit);
      yield* output.splice(0);
    }
  }
  if (state.current.at !== 'frame' || input.length > 0) throw new Error('truncated zstd stream');
  decoder.push(NO_BYTES, true);
  yield* output.splice(0);
}

/** The next whole piece of the stream to decode (a frame header, a block, a checksum; empty after a skip), or
 *  undefined when more input is needed. */
function nextUnit(input: ByteQueue, state: { current: FrameState }): Buffer | undefined {
  const current = state.current;
  switch (current.at) {
    case 'frame': {
      const magic = input.peek(4)?.readUInt32LE(0);
      if (magic === undefined) return undefined;
      if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) {
        const header = input.take(8);
        if (header !== undefined) state.current = { at: 'skip', remaining: header.readUInt32LE(4) };
        return header === undefined ? undefined : NO_BYTES;
      }
      if (magic !== ZSTD_MAGIC) throw new Error('invalid zstd frame magic');
      const descriptor = input.peek(5)?.[4];
      if (descriptor === undefined) return undefined;
      const header = input.take(frameHeaderLength(descriptor));
      if (header !== undefined) {
        checkWindow(header, descriptor);
        state.current = { at: 'block', checksum: (descriptor & 4) !== 0 };
      }
      return header;
    }
    case 'skip': {
      current.remaining -= input.skip(current.remaining);
      if (current.remaining === 0) state.current = { at: 'frame' };
      return current.remaining === 0 ? NO_BYTES : undefined;
    }
    case 'block': {
      const start = input.peek(3);
      if (start === undefined) return undefined;
      const blockHeader = start.readUIntLE(0, 3);
      const type = (blockHeader >> 1) & 3;
      const size = blockHeader >> 3;
      if (type === 3) throw new Error('reserved zstd block type');
      if (size > MAX_BLOCK) throw new Error('zstd block larger than 128 KiB');
      const block = input.take(3 + (type === 1 ? 1 : size));
      if (block !== undefined && (blockHeader & 1) === 1) state.current = current.checksum ? { at: 'checksum' } : { at: 'frame' };
      return block;
    }
    case 'checksum': {
      const checksum = input.take(4);
      if (checksum !== undefined) state.current = { at: 'frame' };
      return checksum;
    }
  }
}

/** Magic, descriptor, window byte (unless single-segment), dictionary id and content size, per the descriptor. */
function frameHeaderLength(descriptor: number): number {
  const singleSegment = (descriptor & 0x20) !== 0;
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 3]!;
  const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!;
  return 5 + (singleSegment ? 0 : 1) + dictionaryIdBytes + contentSizeBytes;
}

function checkWindow(header: Buffer, descriptor: number): void {
  if ((descriptor & 8) !== 0) throw new Error('reserved bit set in zstd frame header');
  let window: number;
  if ((descriptor & 0x20) === 0) {
    const exponent = 10 + (header[5]! >> 3);
    window = 2 ** exponent + (2 ** exponent / 8) * (header[5]! & 7);
  } else {
    // A single-segment frame's window is its content size, the header's last field.
    const sizeBytes = [1, 2, 4, 8][descriptor >> 6]!;
    const at = header.length - sizeBytes;
    window = sizeBytes === 8 ? Number(header.readBigUInt64LE(at)) : header.readUIntLE(at, sizeBytes) + (sizeBytes === 2 ? 256 : 0);
  }
  if (window > MAX_WINDOW) throw new Error(`zstd window of ${window} bytes is larger than the 128 MiB allowed`);
}

/** Bytes received but not yet decoded: at most one block plus the chunk that completed it. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first `count` bytes, left in the queue; undefined while fewer have arrived. */
  peek(count: number): Buffer | undefined {
    if (this.length < count) return undefined;
    const first = this.chunks[0]!;
    if (first.length >= count) return first.subarray(0, count);
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, count);
  }

  /** The first `count` bytes, removed from the queue; undefined while fewer have arrived. */
  take(count: number): Buffer | undefined {
    const bytes = this.peek(count);
    if (bytes !== undefined) this.skip(count);
    return bytes;
  }

  /** Drops up to `count` bytes; returns how many were dropped. */
  skip(count: number): number {
    let dropped = 0;
    while (dropped < count && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const used = Math.min(first.length, count - dropped);
      if (used === first.length) this.chunks.shift();
      else this.chunks[0] = first.subarray(used);
      dropped += used;
    }
    this.length -= dropped;
    return dropped;
  }
}

import type { Readable } from 'node:stream';
import tarStream, { type Header } from 'tar-stream';
import type { FileWindow, LayerFileSink, PartialRead } from '../model.js';
import { checkDigest } from './digest-check.js';
import { CorruptLayerError, LayerError, LayerLimitError } from './layer-errors.js';
import { layerCompression, openLayerTar } from './layer-stream.js';
import { MergedTree } from './merged-tree.js';
import { normaliseTarPath, readWhiteout } from './tar-paths.js';

/**
 * Walks an image's layers into the merged file system a container would see, handing its files to a sink. Layers
 * are read from the top one down, so the first version of a path met is the one the merged view shows and nothing
 * is ever taken back; paths hidden by a whiteout, an opaque directory or a non-directory above are never offered.
 * Every layer is streamed: only the files the sink wants are held, one at a time.
 */

/** One layer of an image, as its manifest lists it. */
export interface LayerSource {
  mediaType: string;
  /** The digest the manifest names: when given, a blob whose bytes hash otherwise fails the walk (`LayerDigestError`). */
  digest?: string;
  /** The blob's bytes, as stored (compressed). The walker destroys the stream when done with it. */
  open(): Promise<NodeJS.ReadableStream | Readable>;
}

/**
 * Caps on what one walk reads; past any of them the walk stops with `LayerLimitError`. They bound the time and
 * memory a hostile image can cost: the merged tree keeps a node per path component met (about 150 bytes each).
 */
export interface WalkLimits {
  /** Tar entries in one layer. Real images have up to a few hundred thousand files in all. */
  maxEntriesPerLayer: number;
  maxTotalEntries: number;
  /** Characters in one entry's name or link target, as written; Linux's PATH_MAX is 4096. */
  maxPathLength: number;
  /** Distinct path components kept for the merged view (so about 300 MiB at most by default). */
  maxTreeNodes: number;
  /** Bytes of one file the sink wants; the sink caps its own sizes, this only guards against a sink that does not. */
  maxFileBytes: number;
  /**
   * Bytes of tar archive read from all layers, after decompression. Memory is bounded whatever a layer inflates to
   * (it is streamed); this bounds the time: a gzip bomb inflates 1 MiB into 1 GiB, and a scan holds its node's job
   * runner while it reads.
   */
  maxUncompressedBytes: number;
}

export const defaultWalkLimits: Readonly<WalkLimits> = {
  maxEntriesPerLayer: 1_000_000,
  maxTotalEntries: 2_000_000,
  maxPathLength: 4096,
  maxTreeNodes: 2_000_000,
  maxFileBytes: 512 * 1024 * 1024,
  // The largest real images (CUDA and machine-learning stacks) hold about 20 GiB.
  maxUncompressedBytes: 32 * 1024 ** 3,
};

/** How many refused entries a summary names; the count goes on past it. */
const MAX_NAMED_REJECTIONS = 100;

/** A tar entry the walk refused, and why: its name leaves the image's root, or holds NUL. */
export interface RejectedEntry {
  /** The layer's position in the manifest (0 = bottom). */
  layer: number;
  /** The name as written in the tar (control characters shown as `?`, cut at 256 characters). */
  name: string;
  reason: string;
}

export interface WalkSummary {
  layersRead: number;
  /** Tar entries met in all layers, whiteouts and hidden ones included. */
  entriesSeen: number;
  /** Entries skipped because their name leaves the image's root or holds NUL. */
  entriesRejected: number;
  /** The first of them, named. */
  rejected: RejectedEntry[];
  /** Files passed to `sink.take`. */
  filesTaken: number;
  /** Bytes of tar archive read, after decompression. */
  bytesRead: number;
  /** Bytes passed to `sink.take`. */
  bytesTaken: number;
}

/**
 * Walks `layers` (in manifest order, bottom first) into `sink`. Rejects with `UnsupportedLayerError`,
 * `CorruptLayerError` or `LayerLimitError` (all `LayerError`s) for an image it cannot read, with a layer's own read
 * error when its blob fails, and with whatever the sink throws.
 */
/**
 * `pace`, when given, is awaited between tar entries: how a scan gives way to a burst of requests while it reads
 * (jobs/request-activity.ts yieldingPace).
 */
export async function walkMergedLayers(layers: readonly LayerSource[], sink: LayerFileSink, limits: Partial<WalkLimits> = {},
  pace?: () => Promise<void>): Promise<WalkSummary> {
  const caps: WalkLimits = { ...defaultWalkLimits, ...limits };
  const summary: WalkSummary = { layersRead: 0, entriesSeen: 0, entriesRejected: 0, rejected: [], filesTaken: 0, bytesRead: 0, bytesTaken: 0 };
  let layer = layers.length - 1;
  const tree = new MergedTree(caps.maxTreeNodes, () => new LayerLimitError('maxTreeNodes', caps.maxTreeNodes, layer));
  for (; layer >= 0; layer--) {
    await new LayerWalk(layer, tree, sink, caps, summary, pace).run(layers[layer]!);
    summary.layersRead++;
  }
  return summary;
}

/** A tar entry as tar-stream hands it over: its header, and its bytes to read to the end. */
type Entry = AsyncIterable<unknown> & { readonly header: Header };

/** The reading of one layer. */
class LayerWalk {
  private entries = 0;
  /** The first error of the blob itself: a failed read is not a corrupt layer, whatever the parser makes of it. */
  private readError: unknown;

  constructor(private readonly layer: number, private readonly tree: MergedTree, private readonly sink: LayerFileSink,
    private readonly limits: WalkLimits, private readonly summary: WalkSummary, private readonly pace?: () => Promise<void>) {}

  async run(source: LayerSource): Promise<void> {
    layerCompression(source.mediaType, this.layer);
    const opened = await source.open();
    const blob = source.digest === undefined ? opened : checkDigest(opened, source.digest, this.layer);
    blob.on('error', (error: unknown) => {
      this.readError ??= error;
    });
    const extract = tarStream.extract();
    let tar: Readable | undefined;
    try {
      tar = await openLayerTar(source.mediaType, blob, this.layer).catch(this.failed);
      const inflating = tar;
      tar.on('data', (chunk: Buffer) => {
        this.summary.bytesRead += chunk.length;
        const cap = this.limits.maxUncompressedBytes;
        if (this.summary.bytesRead > cap) inflating.destroy(new LayerLimitError('maxUncompressedBytes', cap, this.layer));
      });
      tar.on('error', (error: Error) => extract.destroy(error));
      tar.pipe(extract);
      const entries = extract[Symbol.asyncIterator]();
      for (let next = await entries.next().catch(this.failed); next.done !== true; next = await entries.next().catch(this.failed)) {
        await this.visit(next.value);
        if (this.pace) await this.pace();
      }
    } finally {
      extract.destroy();
      tar?.destroy();
      (blob as Partial<Readable>).destroy?.();
    }
  }

  private async visit(entry: Entry): Promise<void> {
    const { header } = entry;
    this.count(header);
    const path = normaliseTarPath(header.name);
    if (path === undefined || path === '') {
      if (path === undefined) this.reject(header.name);
      return this.drain(entry);
    }
    const whiteout = readWhiteout(path);
    if (whiteout !== undefined) {
      if (whiteout.kind === 'whiteout') this.tree.hideSubtree(whiteout.hides, this.layer);
      else if (whiteout.kind === 'opaque') this.tree.hideChildren(whiteout.directory, this.layer);
      return this.drain(entry);
    }
    if (!this.tree.meet(path, this.layer, header.type === 'directory')) return this.drain(entry);
    switch (header.type) {
      case 'file':
      case 'contiguous-file':
        return this.offerFile(path, entry);
      case 'symlink':
        if (header.linkname) this.sink.link(path, header.linkname, false);
        break;
      case 'link': {
        // A hard link names an earlier entry of the same archive, so its target is a path of the merged view too.
        const target = normaliseTarPath(header.linkname ?? '');
        if (target) this.sink.link(path, target, true);
        break;
      }
    }
    return this.drain(entry);
  }

  private reject(name: string): void {
    const { summary } = this;
    summary.entriesRejected++;
    if (summary.rejected.length >= MAX_NAMED_REJECTIONS) return;
    const reason = name.includes('\0') ? 'its name holds a NUL character' : 'its name climbs out of the image\'s root';
    summary.rejected.push({ layer: this.layer, name: name.slice(0, 256).replace(/[\u0000-\u001f\u007f]/g, '?'), reason });
  }

  private count(header: Header): void {
    this.entries++;
    this.summary.entriesSeen++;
    const { limits } = this;
    if (this.entries > limits.maxEntriesPerLayer) throw new LayerLimitError('maxEntriesPerLayer', limits.maxEntriesPerLayer, this.layer);
    if (this.summary.entriesSeen > limits.maxTotalEntries) throw new LayerLimitError('maxTotalEntries', limits.maxTotalEntries, this.layer);
    if (header.name.length > limits.maxPathLength || (header.linkname?.length ?? 0) > limits.maxPathLength) {
      throw new LayerLimitError('maxPathLength', limits.maxPathLength, this.layer);
    }
  }

  private async offerFile(path: string, entry: Entry): Promise<void> {
    const size = entry.header.size ?? 0;
    const wanted = this.sink.wants(path, size, entry.header.mode ?? 0);
    if (wanted === false) return this.drain(entry);
    if (wanted !== true) {
      const { head, window } = await this.readPartial(entry, size, wanted).catch(this.failed);
      await this.sink.take(path, head, window);
      this.summary.filesTaken++;
      this.summary.bytesTaken += head.length + (window?.bytes.length ?? 0);
      return;
    }
    if (size > this.limits.maxFileBytes) throw new LayerLimitError('maxFileBytes', this.limits.maxFileBytes, this.layer);
    const bytes = await this.readWhole(entry, size).catch(this.failed);
    await this.sink.take(path, bytes);
    this.summary.filesTaken++;
    this.summary.bytesTaken += bytes.length;
  }

  /** A file's head, then the window the head points to, as the entry streams past; the rest is dropped. */
  private async readPartial(entry: Entry, size: number, wanted: PartialRead): Promise<{ head: Buffer; window: FileWindow | undefined }> {
    const head = Buffer.allocUnsafe(Math.min(size, wanted.head, this.limits.maxFileBytes));
    let headFilled = 0;
    let range: { from: number; to: number } | undefined;
    let window: Buffer | undefined;
    let offset = 0;
    for await (const data of entry) {
      const chunk = data as Buffer;
      const start = offset;
      offset += chunk.length;
      if (headFilled < head.length) {
        headFilled += chunk.copy(head, headFilled, 0, Math.min(chunk.length, head.length - headFilled));
        if (headFilled < head.length) continue;
        const asked = wanted.window(head);
        // A window past the end, or larger than one file may be, is cut to what there is and what is allowed.
        if (asked !== undefined && asked.from >= 0 && asked.from < size && asked.length > 0) {
          const to = Math.min(size, asked.from + Math.min(asked.length, this.limits.maxFileBytes));
          range = { from: asked.from, to };
          window = Buffer.allocUnsafe(to - asked.from);
          // A window that begins inside the head takes that part from it (this chunk's part is copied below).
          if (range.from < head.length) head.copy(window, 0, range.from, Math.min(head.length, range.to));
        }
      }
      if (range === undefined || window === undefined || offset <= range.from || start >= range.to) continue;
      const from = Math.max(start, range.from);
      const to = Math.min(offset, range.to);
      chunk.copy(window, from - range.from, from - start, to - start);
    }
    const filled = range === undefined ? 0 : Math.max(0, Math.min(offset, range.to) - range.from);
    return {
      head: headFilled === head.length ? head : head.subarray(0, headFilled),
      window: range === undefined || window === undefined ? undefined : { from: range.from, bytes: window.subarray(0, filled) },
    };
  }

  /**
   * One buffer of the size the header declares (tar-stream hands over no more), filled as chunks arrive: keeping the
   * chunks and joining them at the end would hold a 200 MiB executable twice. Untouched pages of a header that lies
   * about its size cost no memory, and the stream then ends short, as a corrupt layer.
   */
  private async readWhole(entry: Entry, size: number): Promise<Buffer> {
    const whole = Buffer.allocUnsafe(size);
    let filled = 0;
    for await (const chunk of entry) filled += (chunk as Buffer).copy(whole, filled);
    return filled === size ? whole : whole.subarray(0, filled);
  }

  /** Skipped entries must still be read to their end before the parser moves on; their bytes are dropped. */
  private async drain(entry: Entry): Promise<void> {
    try {
      for await (const _chunk of entry) {
        // dropped
      }
    } catch (error) {
      this.failed(error);
    }
  }

  /** An error of the blob, the decompressor or the tar parser: the blob's own error if it failed, else corruption. */
  private readonly failed = (error: unknown): never => {
    if (this.readError !== undefined) throw this.readError;
    if (error instanceof LayerError) throw error;
    throw new CorruptLayerError(this.layer, error);
  };
}

import type { Readable } from 'node:stream';
import tarStream, { type Header } from 'tar-stream';
import type { LayerFileSink } from '../model.js';
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
}

export const defaultWalkLimits: Readonly<WalkLimits> = {
  maxEntriesPerLayer: 1_000_000,
  maxTotalEntries: 2_000_000,
  maxPathLength: 4096,
  maxTreeNodes: 2_000_000,
  maxFileBytes: 512 * 1024 * 1024,
};

export interface WalkSummary {
  layersRead: number;
  /** Tar entries met in all layers, whiteouts and hidden ones included. */
  entriesSeen: number;
  /** Entries skipped because their name leaves the image's root or holds NUL. */
  entriesRejected: number;
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
export async function walkMergedLayers(layers: readonly LayerSource[], sink: LayerFileSink, limits: Partial<WalkLimits> = {}): Promise<WalkSummary> {
  const caps: WalkLimits = { ...defaultWalkLimits, ...limits };
  const summary: WalkSummary = { layersRead: 0, entriesSeen: 0, entriesRejected: 0, filesTaken: 0, bytesRead: 0, bytesTaken: 0 };
  let layer = layers.length - 1;
  const tree = new MergedTree(caps.maxTreeNodes, () => new LayerLimitError('maxTreeNodes', caps.maxTreeNodes, layer));
  for (; layer >= 0; layer--) {
    await new LayerWalk(layer, tree, sink, caps, summary).run(layers[layer]!);
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
    private readonly limits: WalkLimits, private readonly summary: WalkSummary) {}

  async run(source: LayerSource): Promise<void> {
    layerCompression(source.mediaType, this.layer);
    const blob = await source.open();
    blob.on('error', (error: unknown) => {
      this.readError ??= error;
    });
    const extract = tarStream.extract();
    let tar: Readable | undefined;
    try {
      tar = await openLayerTar(source.mediaType, blob, this.layer).catch(this.failed);
      tar.on('data', (chunk: Buffer) => {
        this.summary.bytesRead += chunk.length;
      });
      tar.on('error', (error: Error) => extract.destroy(error));
      tar.pipe(extract);
      const entries = extract[Symbol.asyncIterator]();
      for (let next = await entries.next().catch(this.failed); next.done !== true; next = await entries.next().catch(this.failed)) {
        await this.visit(next.value);
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
      if (path === undefined) this.summary.entriesRejected++;
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
    if (!this.sink.wants(path, size, entry.header.mode ?? 0)) return this.drain(entry);
    if (size > this.limits.maxFileBytes) throw new LayerLimitError('maxFileBytes', this.limits.maxFileBytes, this.layer);
    const bytes = await this.readWhole(entry, size).catch(this.failed);
    await this.sink.take(path, bytes);
    this.summary.filesTaken++;
    this.summary.bytesTaken += bytes.length;
  }

  private async readWhole(entry: Entry, size: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks, size);
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

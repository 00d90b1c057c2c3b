import { inflateRawSync } from 'node:zlib';
import { type AsyncFlateStreamHandler, type FlateError, Unzip, type UnzipDecoder, type UnzipDecoderConstructor } from 'fflate';
import { isOsvId, type OsvRecord, parseOsvRecord } from './osv-record.js';

/**
 * Reads an OSV bulk archive (`all.zip` of the OSV bucket or a mirror) as it downloads, one entry at a time: the
 * archive is never held or inflated whole. A root `all.zip` holds hundreds of thousands of records, and a feed is
 * written by strangers, so every entry is capped, junk is skipped with its reason, and a broken archive ends the
 * read with a `failed` item instead of an exception.
 */

export type ArchiveItem =
  | { readonly kind: 'record'; readonly entry: string; readonly record: OsvRecord }
  | { readonly kind: 'skipped'; readonly entry: string; readonly reason: string }
  /** Always last: the archive was not read to its end, so a record missing from it may not be taken as deleted. */
  | { readonly kind: 'failed'; readonly reason: string };

export interface ArchiveOptions {
  /** The largest entry read, inflated; larger ones are skipped. OSV records are a few kB; 8 MiB unless given. */
  readonly maxEntryBytes?: number;
}

const DEFAULT_MAX_ENTRY = 8 * 1024 * 1024;
// Input is fed to the unzipper in slices this small and what they complete is handed out before the next, so only
// the entries ending in one slice are in memory at once: the one begun before it (at most the entry cap) and those
// begun inside it (together at most about 1032, deflate's largest ratio, x 16 KiB), whatever the caller's chunks.
const SLICE = 16 * 1024;
// The end-of-central-directory record (22 bytes and a comment of up to 65535) closes every whole zip file.
const END_RECORD_SPAN = 22 + 65_535;

/** Reads the archive from `source`, whose chunks must not be reused once handed over (Node streams and fetch bodies never do). */
export async function* readOsvArchive(source: AsyncIterable<Uint8Array>, options: ArchiveOptions = {}): AsyncGenerator<ArchiveItem, void, undefined> {
  const maxBytes = options.maxEntryBytes ?? DEFAULT_MAX_ENTRY;
  const ready: ArchiveItem[] = [];
  const tail = new Tail(END_RECORD_SPAN);
  let entries = 0;
  const unzip = new Unzip((file) => {
    entries++;
    forgetFinishedEntries(unzip);
    const entry = file.name.slice(0, 256);
    const wanted = file.name.endsWith('.json');
    if (!wanted && !file.name.endsWith('/')) ready.push({ kind: 'skipped', entry, reason: 'not a .json entry' });
    // Every entry is started, even one to skip: an unstarted entry's compressed bytes pile up inside the unzipper.
    if (file.compression !== 0 && file.compression !== 8) unzip.register(unsupported(file.compression));
    let done = !wanted;
    const finish = (item: ArchiveItem) => {
      done = true;
      ready.push(item);
    };
    const chunks: Uint8Array[] = [];
    let size = 0;
    file.ondata = (error, data, final) => {
      if (done) return;
      if (error) return finish({ kind: 'skipped', entry, reason: error.message });
      size += data.length;
      if (size > maxBytes) {
        file.terminate();
        return finish({ kind: 'skipped', entry, reason: `larger than ${maxBytes} bytes inflated` });
      }
      chunks.push(data);
      if (final) finish(parseEntry(entry, Buffer.concat(chunks)));
    };
    file.start();
    if (!wanted) file.terminate();
  });
  unzip.register(cappedInflate(maxBytes));

  let failure: string | undefined;
  try {
    for await (const chunk of source) {
      tail.add(chunk);
      for (let offset = 0; offset < chunk.length; offset += SLICE) {
        unzip.push(chunk.subarray(offset, offset + SLICE), false);
        while (ready.length > 0) yield ready.shift()!;
      }
    }
    unzip.push(new Uint8Array(0), true);
  } catch (error) {
    failure = `unreadable archive: ${error instanceof Error ? error.message : String(error)}`;
  }
  yield* ready;
  if (failure === undefined && entries === 0) failure = 'no zip entries found';
  if (failure === undefined && !tail.endsWithEndRecord()) failure = 'the archive is cut short (no end-of-central-directory record)';
  if (failure !== undefined) yield { kind: 'failed', reason: failure };
}

const utf8 = new TextDecoder();

function parseEntry(entry: string, bytes: Uint8Array): ArchiveItem {
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch (error) {
    return { kind: 'skipped', entry, reason: `not JSON: ${(error as Error).message.slice(0, 200)}` };
  }
  const record = parseOsvRecord(json);
  return 'error' in record ? { kind: 'skipped', entry, reason: record.error } : { kind: 'record', entry, record };
}

const flateError = (message: string): FlateError => Object.assign(new Error(message), { code: 0 });
const empty = new Uint8Array(0);

/**
 * Deflate through Node's zlib, whole entry at once: `maxOutputLength` stops a zip bomb as soon as it passes the cap,
 * which fflate's streaming inflater cannot (it inflates all it is given before reporting), and the compressed bytes
 * held meanwhile are capped too (deflate never shrinks data that is still over the cap after inflating).
 */
function cappedInflate(maxBytes: number): UnzipDecoderConstructor {
  return class CappedInflate implements UnzipDecoder {
    static compression = 8;
    ondata: AsyncFlateStreamHandler = () => {};
    private chunks: Uint8Array[] = [];
    private size = 0;
    private stopped = false;

    push(chunk: Uint8Array, final: boolean): void {
      if (this.stopped) return;
      this.size += chunk.length;
      if (this.size > maxBytes) {
        this.fail(`larger than ${maxBytes} bytes compressed`);
        return;
      }
      this.chunks.push(chunk);
      if (!final) return;
      this.stopped = true;
      let inflated: Buffer;
      try {
        inflated = inflateRawSync(Buffer.concat(this.chunks), { maxOutputLength: maxBytes });
      } catch (error) {
        const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
        this.fail(tooLarge ? `larger than ${maxBytes} bytes inflated` : `bad deflate data: ${(error as Error).message}`);
        return;
      }
      this.chunks = [];
      this.ondata(null, new Uint8Array(inflated.buffer as ArrayBuffer, inflated.byteOffset, inflated.length), true);
    }

    terminate = (): void => {
      this.stopped = true;
      this.chunks = [];
    };

    private fail(reason: string): void {
      this.terminate();
      this.ondata(flateError(reason), empty, true);
    }
  };
}

/** Stands in for a compression method we cannot read (fflate throws from `start()` when none is registered). */
function unsupported(method: number): UnzipDecoderConstructor {
  return class Unsupported implements UnzipDecoder {
    static compression = method;
    ondata: AsyncFlateStreamHandler = () => {};
    private reported = false;

    push(): void {
      if (this.reported) return;
      this.reported = true;
      this.ondata(flateError(`compression method ${method} is not supported`), empty, true);
    }
  };
}

/**
 * fflate's Unzip (0.8) keeps a list per entry it has seen, unshifting each new one, and only ever reads the first
 * two: over the 10^5-10^6 entries of an OSV archive that is quadratic time. Dropping the older lists changes nothing
 * else; should a later fflate lay out its state differently, the check below makes this a no-op.
 */
function forgetFinishedEntries(unzip: Unzip): void {
  const lists = (unzip as unknown as { k?: unknown }).k;
  if (Array.isArray(lists) && lists.length > 2) lists.length = 2;
}

/** The last `span` bytes of a stream, kept as the chunks that hold them. */
class Tail {
  private chunks: Uint8Array[] = [];
  private size = 0;

  constructor(private readonly span: number) {}

  add(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.span) this.size -= this.chunks.shift()!.length;
  }

  /** Whether the stream ends with an end-of-central-directory record whose comment runs exactly to the end. */
  endsWithEndRecord(): boolean {
    const bytes = Buffer.concat(this.chunks);
    for (let at = bytes.length - 22; at >= 0 && at >= bytes.length - this.span; at--) {
      if (bytes.readUInt32LE(at) === 0x06054b50 && at + 22 + bytes.readUInt16LE(at + 20) === bytes.length) return true;
    }
    return false;
  }
}

/** One line of a bucket's `modified_id.csv`: `<modified>,<id>`, or `<modified>,<ecosystem>/<id>` in the root list. */
export interface ModifiedId {
  readonly modified: string;
  readonly ecosystem?: string;
  readonly id: string;
}

export interface ModifiedSince {
  /** The records modified at or after the time asked for, newest first. */
  readonly changed: ModifiedId[];
  /** More changed than `maxChanges`: `changed` is incomplete, and reading the whole archive again is the cheaper way. */
  readonly overflow: boolean;
}

const MAX_LINE = 1_024;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)$/;

/** Reads one line of `modified_id.csv`; undefined for a blank or malformed one. */
export function parseModifiedIdLine(line: string): ModifiedId | undefined {
  const text = line.trim();
  const comma = text.indexOf(',');
  if (comma < 0 || text.length > MAX_LINE) return undefined;
  const modified = text.slice(0, comma);
  if (!TIMESTAMP.test(modified) || Number.isNaN(Date.parse(modified))) return undefined;
  const path = text.slice(comma + 1);
  const slash = path.lastIndexOf('/');
  const id = path.slice(slash + 1);
  if (!isOsvId(id)) return undefined;
  return slash < 0 ? { modified, id } : { modified, ecosystem: path.slice(0, slash), id };
}

/**
 * The records a `modified_id.csv` lists as modified at or after `since`. The list is newest first, so reading stops
 * at the first older line and the rest of the download is never fetched. "At or after", not "after": timestamps are
 * compared to the millisecond while OSV writes microseconds, and taking a record twice is harmless where missing
 * one is not. Malformed lines are skipped.
 */
export async function modifiedSince(source: AsyncIterable<Uint8Array | string>, since: Date, options: { maxChanges?: number } = {}): Promise<ModifiedSince> {
  const maxChanges = options.maxChanges ?? 200_000;
  const changed: ModifiedId[] = [];
  for await (const line of lines(source)) {
    const entry = parseModifiedIdLine(line);
    if (entry === undefined) continue;
    if (Date.parse(entry.modified) < since.getTime()) break;
    if (changed.length === maxChanges) return { changed, overflow: true };
    changed.push(entry);
  }
  return { changed, overflow: false };
}

/** The lines of a text stream; a line longer than MAX_LINE comes out cut short (and then fails to parse), never buffered whole. */
async function* lines(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder();
  let partial = '';
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; start = end + 1, end = text.indexOf('\n', start)) {
      yield partial + text.slice(start, end);
      partial = '';
    }
    partial = (partial + text.slice(start)).slice(0, MAX_LINE + 1);
  }
  partial += decoder.decode();
  if (partial !== '') yield partial;
}

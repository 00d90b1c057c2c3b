import { createReadStream } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';

/**
 * Where the advisory feed is read from: OSV's bucket or a mirror over http(s), or a folder laid out the same way
 * (`<source>/all.zip`, `<source>/modified_id.csv`, `<source>/<id>.json`) for air-gapped installations.
 */
export interface FeedLocation {
  /** The location as configured, for feed states and messages. */
  readonly description: string;
  /** A file of the feed as a byte stream; undefined when the location has no such file. */
  open(path: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** A folder's `.json` files (paths relative to it), for a folder of OSV records; undefined for a URL. */
  readonly jsonFiles?: () => AsyncIterable<string>;
}

export class FeedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FeedError';
  }
}

/** Paths inside the feed: folders and a file name, never anything that climbs out. */
const feedPath = /^[A-Za-z0-9][A-Za-z0-9 .:_+-]*(\/[A-Za-z0-9][A-Za-z0-9 .:_+-]*)*$/;

export function feedLocation(location: string, timeoutMs: number): FeedLocation {
  return /^https?:\/\//i.test(location) ? httpLocation(location.replace(/\/+$/, ''), timeoutMs) : folderLocation(resolve(location));
}

function checked(path: string): string {
  if (!feedPath.test(path) || path.includes('..')) throw new FeedError(`"${path}" is not a path inside the feed`);
  return path;
}

function httpLocation(base: string, timeoutMs: number): FeedLocation {
  return {
    description: base,
    async open(path) {
      const url = `${base}/${checked(path).split('/').map(encodeURIComponent).join('/')}`;
      let response: Response;
      try {
        response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
      } catch (error) {
        throw new FeedError(`could not reach ${url}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        throw new FeedError(`${url} answered ${response.status} ${response.statusText}`);
      }
      return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    },
  };
}

/** JSON files read from one folder of records at most: OSV's largest ecosystems hold a few hundred thousand. */
const maxJsonFiles = 1_000_000;

function folderLocation(root: string): FeedLocation {
  return {
    description: root,
    async *jsonFiles() {
      let count = 0;
      // Directory entries are read as they come, so a huge folder is never listed whole; symbolic links are not followed.
      const walk = async function* (relative: string): AsyncGenerator<string> {
        const dir = await opendir(join(root, relative)).catch(() => undefined);
        if (dir === undefined) return;
        for await (const entry of dir) {
          const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
          if (entry.isDirectory()) yield* walk(path);
          else if (entry.isFile() && entry.name.endsWith('.json') && feedPath.test(path) && !path.includes('..')) {
            if (++count > maxJsonFiles) throw new FeedError(`${root} holds more than ${maxJsonFiles} JSON files: split it by ecosystem`);
            yield path;
          }
        }
      };
      yield* walk('');
    },
    async open(path) {
      const file = join(root, checked(path));
      try {
        if (!(await stat(file)).isFile()) return undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new FeedError(`could not read ${file}: ${(error as Error).message}`, { cause: error });
      }
      return createReadStream(file);
    },
  };
}

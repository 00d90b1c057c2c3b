import type { Logger } from 'pino';
import type { JobProgress } from '../../metadata/metadata-store.js';
import type { FeedState, NewAdvisory, PackageKey, ScanStore } from '../../metadata/scan-store.js';
import { modifiedSince, readOsvArchive } from '../../scanning/osv/feed-archive.js';
import { parseOsvRecord, type OsvRecord } from '../../scanning/osv/osv-record.js';
import { FeedError, type FeedLocation } from './feed-location.js';
import { toNewAdvisory } from './package-matching.js';

/** Records stored per transaction while a feed is read. */
const batchSize = 500;
/** Past this many changed records, reading the whole archive again is cheaper than fetching them one by one. */
const maxIncremental = 2_000;

export interface FeedRefresh {
  readonly source: string;
  /** Records stored or removed. */
  readonly changed: number;
  readonly mode: 'full' | 'incremental' | 'unchanged';
  readonly error: string | undefined;
}

/** What a refresh changed, for the rematch that follows: the advisories, and the packages they name. */
export interface FeedChanges {
  readonly ids: readonly string[];
  readonly packages: readonly PackageKey[];
}

/**
 * Keeps the stored advisories up to date from the feed, for the ecosystems stored inventories use: the first time a
 * source (an OSV ecosystem folder) is needed its `all.zip` is read whole; after that its `modified_id.csv` says which
 * records changed since the newest one held, and only those are fetched. Each source's state (where from, how far,
 * the last error) is kept in the store, so any node continues where another stopped.
 */
export class AdvisoryFeed {
  constructor(
    private readonly store: () => ScanStore,
    private readonly location: FeedLocation,
    private readonly log: Logger,
  ) {}

  /**
   * Refreshes every source stored inventories need (or those of `only`); `changed` hears of each batch stored, to
   * rematch images.
   */
  async refresh(changed: (changes: FeedChanges) => Promise<void>, progress: (progress: JobProgress) => Promise<void>, signal: AbortSignal,
    only?: readonly string[]): Promise<FeedRefresh[]> {
    const sources = only ? [...only] : feedSources(await this.store().inventoryEcosystems());
    const states = new Map((await this.store().feeds()).map((feed) => [feed.source, feed]));
    const results: FeedRefresh[] = [];
    for (const [index, source] of sources.entries()) {
      if (signal.aborted) break;
      await progress({ done: index, total: sources.length, note: `reading the ${source} advisories` });
      results.push(await this.#refreshSource(source, states.get(source), changed, signal));
    }
    await progress({ done: sources.length, total: sources.length, note: results.map((result) => `${result.source}: ${result.error ?? `${result.changed} changed`}`).join('; ') });
    return results;
  }

  async #refreshSource(source: string, state: FeedState | undefined, changed: (changes: FeedChanges) => Promise<void>, signal: AbortSignal): Promise<FeedRefresh> {
    const started = Date.now();
    let newest = state?.location === this.location.description ? state.newestModified : undefined;
    let stored = 0;
    let records = state?.records ?? 0;
    const save = async (batch: readonly OsvRecord[]): Promise<void> => {
      if (batch.length === 0) return;
      const kept: NewAdvisory[] = [];
      const removed: string[] = [];
      for (const record of batch) {
        if (record.withdrawn !== undefined) removed.push(record.id);
        else kept.push(toNewAdvisory(record));
      }
      await this.store().saveAdvisories(kept, removed);
      // A withdrawal is a change read like any other: left out, the list would name the record again at every refresh.
      for (const record of batch) {
        const modified = Date.parse(record.modified ?? '');
        if (!Number.isNaN(modified) && (newest === undefined || modified > newest)) newest = modified;
      }
      stored += batch.length;
      await changed({ ids: batch.map((record) => record.id), packages: kept.flatMap((advisory) => advisory.packages) });
    };
    let mode: FeedRefresh['mode'] = 'full';
    let error: string | undefined;
    const since = newest;
    try {
      const incremental = since === undefined ? undefined : await this.#changedSince(source, since);
      if (incremental !== undefined) {
        mode = incremental.length === 0 ? 'unchanged' : 'incremental';
        for (let at = 0; at < incremental.length && !signal.aborted; at += batchSize) {
          await save(await this.#fetchRecords(source, incremental.slice(at, at + batchSize)));
        }
      } else {
        const archive = await this.location.open(`${source}/all.zip`);
        if (archive !== undefined) {
          let batch: OsvRecord[] = [];
          for await (const item of readOsvArchive(archive)) {
            if (item.kind === 'record') batch.push(item.record);
            else if (item.kind === 'failed') throw new FeedError(`${source}/all.zip could not be read to its end: ${item.reason}`);
            if (batch.length === batchSize) {
              await save(batch);
              batch = [];
            }
            if (signal.aborted) break;
          }
          await save(batch);
        } else if (this.location.jsonFiles !== undefined) {
          // A folder of OSV JSON records rather than the bucket's layout: read them all, store what changed.
          mode = 'incremental';
          await this.#readJsonFolder(source, save, signal);
        } else {
          throw new FeedError(`${this.location.description} has no ${source}/all.zip`);
        }
      }
      records = await this.store().advisoryCount();
    } catch (failure) {
      // Records past the failure were not read, and some may be older than the newest that was: going on from it
      // would skip them for good. The next refresh starts again from where this one did.
      newest = since;
      error = failure instanceof Error ? failure.message : String(failure);
      this.log.warn({ source, location: this.location.description, err: failure }, 'the advisory feed could not be refreshed');
    }
    await this.store().saveFeed({ source, location: this.location.description, newestModified: newest, records, refreshedAt: started, error });
    return { source, changed: stored, mode, error };
  }

  /** The records of a folder of OSV JSON files that name this source's ecosystems and differ from those stored. */
  async #readJsonFolder(source: string, save: (batch: readonly OsvRecord[]) => Promise<void>, signal: AbortSignal): Promise<void> {
    let batch: OsvRecord[] = [];
    const flush = async () => {
      const held = await this.store().advisoryModified(batch.map((record) => record.id));
      await save(batch.filter((record) => Date.parse(record.modified ?? '') !== held.get(record.id)));
      batch = [];
    };
    for await (const path of this.location.jsonFiles!()) {
      if (signal.aborted) break;
      const record = await this.#readRecord(path);
      if (record === undefined || !record.affected.some((entry) => entry.package.ecosystem.split(':')[0] === source)) continue;
      batch.push(record);
      if (batch.length === batchSize) await flush();
    }
    await flush();
  }

  /** Ids changed at or after `since`, or undefined when the source must be read whole (no list, or too many changes). */
  async #changedSince(source: string, since: number): Promise<string[] | undefined> {
    const list = await this.location.open(`${source}/modified_id.csv`);
    if (list === undefined) return undefined;
    const { changed, overflow } = await modifiedSince(list, new Date(since), { maxChanges: maxIncremental });
    if (overflow) return undefined;
    // The list is read from the newest record held on ("at or after"), so it names records held already: those stored
    // as modified when the list says are not fetched again.
    const held = await this.store().advisoryModified(changed.map((entry) => entry.id));
    return [...new Set(changed.filter((entry) => !(Date.parse(entry.modified) <= (held.get(entry.id) ?? Number.NEGATIVE_INFINITY))).map((entry) => entry.id))];
  }

  async #fetchRecords(source: string, ids: readonly string[]): Promise<OsvRecord[]> {
    const records: OsvRecord[] = [];
    for (const id of ids) {
      // A record listed as changed but gone from the feed was deleted: nothing to store.
      const record = await this.#readRecord(`${source}/${id}.json`);
      if (record !== undefined) records.push(record);
    }
    return records;
  }

  /** One OSV record file of the feed; undefined when it is missing, or skipped (logged) when it cannot be read. */
  async #readRecord(path: string): Promise<OsvRecord | undefined> {
    const stream = await this.location.open(path);
    if (stream === undefined) return undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > 8 * 1024 * 1024) throw new FeedError(`${path} is larger than 8 MiB`);
      chunks.push(Buffer.from(chunk));
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      this.log.warn({ path }, 'skipped an advisory that is not JSON');
      return undefined;
    }
    const parsed = parseOsvRecord(json);
    if ('error' in parsed) {
      this.log.warn({ path, reason: parsed.error }, 'skipped an advisory that could not be read');
      return undefined;
    }
    return parsed;
  }
}

/**
 * The feed folders the ecosystems need: OSV exports suffixed ecosystems (`Debian:12`, `Alpine:v3.20`) only under
 * the bare name.
 */
export function feedSources(ecosystems: readonly string[]): string[] {
  return [...new Set(ecosystems.filter((ecosystem) => ecosystem !== '').map((ecosystem) => ecosystem.split(':')[0]!))].sort();
}

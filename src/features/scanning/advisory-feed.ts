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

  /** Refreshes every source stored inventories need; `changed` hears of each batch stored, to rematch images. */
  async refresh(changed: (changes: FeedChanges) => Promise<void>, progress: (progress: JobProgress) => Promise<void>, signal: AbortSignal): Promise<FeedRefresh[]> {
    const sources = feedSources(await this.store().inventoryEcosystems());
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
      for (const advisory of kept) if (newest === undefined || advisory.modified > newest) newest = advisory.modified;
      stored += batch.length;
      await changed({ ids: batch.map((record) => record.id), packages: kept.flatMap((advisory) => advisory.packages) });
    };
    let mode: FeedRefresh['mode'] = 'full';
    let error: string | undefined;
    try {
      const since = newest;
      const incremental = since === undefined ? undefined : await this.#changedSince(source, since);
      if (incremental !== undefined) {
        mode = incremental.length === 0 ? 'unchanged' : 'incremental';
        for (let at = 0; at < incremental.length && !signal.aborted; at += batchSize) {
          await save(await this.#fetchRecords(source, incremental.slice(at, at + batchSize)));
        }
      } else {
        const archive = await this.location.open(`${source}/all.zip`);
        if (archive === undefined) throw new FeedError(`${this.location.description} has no ${source}/all.zip`);
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
      }
      records = await this.store().advisoryCount();
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
      this.log.warn({ source, location: this.location.description, err: failure }, 'the advisory feed could not be refreshed');
    }
    await this.store().saveFeed({ source, location: this.location.description, newestModified: newest, records, refreshedAt: started, error });
    return { source, changed: stored, mode, error };
  }

  /** Ids changed at or after `since`, or undefined when the source must be read whole (no list, or too many changes). */
  async #changedSince(source: string, since: number): Promise<string[] | undefined> {
    const list = await this.location.open(`${source}/modified_id.csv`);
    if (list === undefined) return undefined;
    const { changed, overflow } = await modifiedSince(list, new Date(since), { maxChanges: maxIncremental });
    return overflow ? undefined : [...new Set(changed.map((entry) => entry.id))];
  }

  async #fetchRecords(source: string, ids: readonly string[]): Promise<OsvRecord[]> {
    const records: OsvRecord[] = [];
    for (const id of ids) {
      const stream = await this.location.open(`${source}/${id}.json`);
      // A record listed as changed but gone from the feed was deleted: nothing to store.
      if (stream === undefined) continue;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of stream) {
        size += chunk.length;
        if (size > 8 * 1024 * 1024) throw new FeedError(`${source}/${id}.json is larger than 8 MiB`);
        chunks.push(Buffer.from(chunk));
      }
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        this.log.warn({ source, id }, 'skipped an advisory that is not JSON');
        continue;
      }
      const parsed = parseOsvRecord(json);
      if ('error' in parsed) this.log.warn({ source, id, reason: parsed.error }, 'skipped an advisory that could not be read');
      else records.push(parsed);
    }
    return records;
  }
}

/**
 * The feed folders the ecosystems need: OSV exports suffixed ecosystems (`Debian:12`, `Alpine:v3.20`) only under
 * the bare name.
 */
export function feedSources(ecosystems: readonly string[]): string[] {
  return [...new Set(ecosystems.filter((ecosystem) => ecosystem !== '').map((ecosystem) => ecosystem.split(':')[0]!))].sort();
}

import { setTimeout as sleep } from 'node:timers/promises';
import { adapterFailure, adapterJson, adapterRequest, type AdapterEndpoint } from './adapter-http.js';
import { adapterMediaTypes, type ReportMediaType } from './adapter-media-types.js';

/** The wait between polls when a 302 names none (or one Berth cannot read). */
const defaultRefreshSeconds = 1;
/** The shortest wait between polls. */
const minimumWaitMs = 200;
/** Longer waits than this are shortened: the scanner's timeout, not the adapter, bounds the whole scan. */
const maxRefreshSeconds = 60;

/**
 * `GET /api/v1/scan/{id}/report` until the report is ready, as the spec asks: a 302 means "not yet", and its
 * `Refresh-After` header says in how many seconds to ask again; a 200 carries the report. Any other answer is the
 * adapter failing the scan (500), having lost it (404), or refusing the format (501). Polling stops when `signal`
 * aborts (the scanner's timeout or the job's end), with the signal's reason.
 */
export async function pollAdapterReport(endpoint: AdapterEndpoint, id: string, mediaType: ReportMediaType, signal: AbortSignal,
  onWait: (polls: number) => Promise<void> | void = () => {}): Promise<unknown> {
  const path = `/scan/${encodeURIComponent(id)}/report`;
  for (let polls = 1; ; polls++) {
    const response = await adapterRequest(endpoint, 'GET', path, { accept: `${mediaType}, ${adapterMediaTypes.error}`, signal });
    if (response.status === 200) return adapterJson(endpoint, 'a report', response);
    if (response.status !== 302) throw await adapterFailure(endpoint, `GET /api/v1${path}`, response);
    await response.body?.cancel();
    await onWait(polls);
    // Never a tight loop, even when an adapter says 0.
    await sleep(Math.max(minimumWaitMs, refreshAfter(response.headers.get('refresh-after')) * 1000), undefined, { signal });
  }
}

/** Seconds to wait, from a `Refresh-After` header (an integer number of seconds). */
export function refreshAfter(header: string | null): number {
  if (header === null || !/^\s*\d+\s*$/.test(header)) return defaultRefreshSeconds;
  return Math.min(Math.max(Number(header), 0), maxRefreshSeconds);
}

import { cursorParts, refuseCursor } from '../../insight/cursor.js';
import type { ProjectImage, ProjectImageCursor } from '../../metadata/scan-store.js';

/**
 * Page cursors of a project's vulnerability overview: the last row's counts, repository and digest, as base64url
 * JSON. Opaque to clients, which pass back the `next` (or the Link header) of the previous page; a cursor that does
 * not decode is refused with the reason rather than starting over.
 */
/** The counts a row is ranked by: critical, high, medium, low, other, fixable (ScanStore.projectImages). */
const rankLength = 6;

export function projectImageCursor(image: ProjectImage): string {
  const report = image.report;
  const rank = report === undefined ? new Array<number>(rankLength).fill(0)
    : [report.counts.critical, report.counts.high, report.counts.medium, report.counts.low, report.counts.other, report.fixable];
  return Buffer.from(JSON.stringify([...rank, image.repository, image.digest])).toString('base64url');
}

export function decodeProjectImageCursor(value: string): ProjectImageCursor {
  const list = cursorParts(value, 'list', (length) => length === rankLength + 2);
  const refuse = (): never => refuseCursor(value, 'list');
  const rank = list.slice(0, rankLength);
  const [repository, digest] = list.slice(rankLength);
  if (!rank.every((count) => Number.isSafeInteger(count) && (count as number) >= 0)) refuse();
  if (typeof repository !== 'string' || typeof digest !== 'string') refuse();
  return { rank: rank as number[], repository: repository as string, digest: digest as string };
}

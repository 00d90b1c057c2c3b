import type { Readable } from 'node:stream';

/**
 * Where the bytes of a blob read sit in an open file. A store that reads from local files marks its streams with
 * one, so the HTTP layer may hand the file straight to the socket (sendfile) instead of reading the stream. The stream
 * owns the descriptor: destroying it closes the file, whichever way the bytes went.
 */
export interface FileRegion {
  readonly fd: number;
  readonly start: number;
  readonly length: number;
}

const regionKey = Symbol('berth.fileRegion');

export function markFileRegion<T extends Readable>(stream: T, region: FileRegion): T {
  (stream as unknown as Record<symbol, FileRegion>)[regionKey] = region;
  return stream;
}

/** The region of a stream that has not started flowing yet, or undefined. */
export function fileRegionOf(stream: Readable): FileRegion | undefined {
  const region = (stream as unknown as Record<symbol, FileRegion | undefined>)[regionKey];
  return region !== undefined && stream.readableFlowing === null && !stream.destroyed ? region : undefined;
}

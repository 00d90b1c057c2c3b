/**
 * Why an image's layers could not be walked. Each case has its own class so the scan job can tell an image it will
 * never be able to read (an unknown media type, a corrupt or hostile layer) from one that only needs higher limits;
 * none of them is the registry's fault, so none is retried.
 */
export class LayerError extends Error {
  /** The layer's position in the manifest (0 = bottom), when the error belongs to one layer. */
  readonly layer: number | undefined;
  constructor(message: string, layer: number | undefined, options?: ErrorOptions) {
    super(layer === undefined ? message : `layer ${layer}: ${message}`, options);
    this.name = 'LayerError';
    this.layer = layer;
  }
}

/** A layer whose media type says it is not a file system changeset this scanner can open. */
export class UnsupportedLayerError extends LayerError {
  readonly mediaType: string;
  constructor(mediaType: string, why: string, layer?: number) {
    super(`cannot read a layer of media type "${mediaType}": ${why}`, layer);
    this.name = 'UnsupportedLayerError';
    this.mediaType = mediaType;
  }
}

/** A layer whose bytes are not a whole tar archive: bad compression, a truncated stream, a corrupt header. */
export class CorruptLayerError extends LayerError {
  constructor(layer: number | undefined, cause: unknown) {
    super(`not a readable tar archive: ${cause instanceof Error ? cause.message : String(cause)}`, layer, { cause });
    this.name = 'CorruptLayerError';
  }
}

/** A layer past one of the walker's limits; `limit` names the `WalkLimits` field that was exceeded. */
export class LayerLimitError extends LayerError {
  readonly limit: string;
  /** The limit's value. */
  readonly value: number;
  constructor(limit: string, value: number, layer: number) {
    super(`past the walker's limit ${limit} (${value}): the image is too large to scan, or hostile`, layer);
    this.name = 'LayerLimitError';
    this.limit = limit;
    this.value = value;
  }
}

/**
 * A layer whose bytes hash to something other than the digest its manifest names: the blob store's copy was damaged
 * or changed after the push verified it. Its files would be another image's, so none of them is believed.
 */
export class LayerDigestError extends LayerError {
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string, layer: number | undefined) {
    super(`its bytes do not match its digest: they hash to ${actual}, so the stored blob was damaged or changed after it was pushed`, layer);
    this.name = 'LayerDigestError';
    this.expected = expected;
    this.actual = actual;
  }
}

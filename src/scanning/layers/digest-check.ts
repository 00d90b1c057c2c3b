import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { parseDigest } from '../../oci/digest.js';
import { LayerDigestError } from './layer-errors.js';

/**
 * A layer blob passed through unchanged while it is hashed; at its end the stream fails with `LayerDigestError` when
 * the bytes are not those the digest names. The push verified them, but the scan reads them again from a store that
 * anyone with access to its disk or bucket can change, and an inventory must describe the image its digest names.
 * Hashing costs a fraction of what decompressing costs, and the walker reads every layer to its end anyway.
 * A digest of an algorithm Berth does not verify passes unchecked (the registry never stores one).
 */
export function checkDigest(blob: NodeJS.ReadableStream | Readable, digest: string, layer?: number): Readable {
  const source = blob instanceof Readable ? blob : new Readable().wrap(blob);
  const parsed = parseDigest(digest);
  if (parsed === undefined) return source;
  const hash = createHash(parsed.algorithm);
  const checked = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      const actual = `${parsed.algorithm}:${hash.digest('hex')}`;
      done(actual === parsed.value ? null : new LayerDigestError(parsed.value, actual, layer));
    },
  });
  // Errors of the blob itself travel on as they are; destroying the checked stream closes the blob.
  source.on('error', (error) => checked.destroy(error));
  checked.on('close', () => source.destroy());
  return source.pipe(checked);
}

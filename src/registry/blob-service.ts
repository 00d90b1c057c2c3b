import type { Readable } from 'node:stream';
import { NotFoundError } from '../errors/backend-errors.js';
import { RegistryError } from '../errors/registry-error.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { BlobStore, ByteRange } from '../storage/blob-store.js';
import { resolveRange } from './byte-range.js';
import { deletesDisabled } from './refusals.js';
import type { PolicyPoint } from './policy-point.js';
import type { RequestContext } from './request-context.js';
import { assertName, requireDigest } from './validate.js';

export interface BlobRead {
  readonly digest: string;
  readonly size: number;
  /** The part being sent, when the client asked for a satisfiable range. */
  readonly range: ByteRange | undefined;
  readonly stream: Readable;
}

/** Where the client is sent to fetch the bytes from the object store itself. */
export interface BlobRedirect {
  readonly digest: string;
  readonly redirect: string;
}

/**
 * Reads and deletes blobs as a repository sees them. A blob is visible only in repositories that pushed or mounted
 * it: the metadata store decides, storage only serves bytes.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs
 */
export class BlobService {
  constructor(
    private readonly store: BlobStore,
    private readonly metadata: MetadataStore,
    private readonly deleteEnabled: boolean,
    private readonly policies: PolicyPoint,
    /** Pulls still gathering, written before a delete so consumers see them in the order they happened. */
    private readonly pulls: { flush(): Promise<void> },
    /** Send GETs to a presigned URL valid this long, when the store offers one; 0: the bytes go through this node. */
    private readonly redirectSeconds = 0,
  ) {}

  /** Size of a blob the repository may see; HEAD is answered from metadata alone, without touching the bytes. */
  async stat(repository: string, digestValue: string): Promise<{ digest: string; size: number }> {
    assertName(repository);
    const digest = requireDigest(digestValue).value;
    const linked = await this.metadata.linkedBlob(repository, digest);
    if (!linked) throw blobUnknown(repository, digest);
    return { digest, size: linked.size };
  }

  async read(context: RequestContext, repository: string, digestValue: string, rangeHeader: string | undefined): Promise<BlobRead | BlobRedirect> {
    const { digest, size } = await this.stat(repository, digestValue);
    await this.policies.checkBlobPull(context, repository, digest);
    if (this.redirectSeconds > 0 && this.store.downloadUrl) {
      // The URL carries the client's Range to the object store; access was decided above, from metadata.
      const redirect = await this.store.downloadUrl(digest, this.redirectSeconds);
      if (redirect !== undefined) return { digest, redirect };
    }
    const range = resolveRange(rangeHeader, size);
    try {
      return { digest, size, range, stream: await this.store.read(digest, range) };
    } catch (error) {
      // Metadata says it exists but the bytes are gone: report it as unknown rather than failing obscurely.
      if (error instanceof NotFoundError) throw blobUnknown(repository, digest);
      throw error;
    }
  }

  /** Unlinks the blob from the repository; its bytes are reclaimed later, once nothing references them. */
  async delete(context: RequestContext, repository: string, digestValue: string): Promise<string> {
    assertName(repository);
    const digest = requireDigest(digestValue).value;
    if (!this.deleteEnabled) throw deletesDisabled('GET, HEAD');
    await this.pulls.flush();
    if (!(await this.metadata.unlinkBlob(repository, digest, context.origin))) throw blobUnknown(repository, digest);
    return digest;
  }
}

function blobUnknown(repository: string, digest: string): RegistryError {
  return new RegistryError('BLOB_UNKNOWN', undefined, { repository, digest });
}

import type { MetadataStore } from '../metadata/metadata-store.js';
import type { BlobStore } from '../storage/blob-store.js';

export interface Readiness {
  readonly ready: boolean;
  /** Each dependency: "ok", or what went wrong. */
  readonly checks: Readonly<Record<string, string>>;
}

/** A check that has not answered by then counts as failed: a load balancer must not wait on a hung database. */
const checkTimeoutMs = 2000;

/**
 * What a load balancer asks before sending a node traffic. Live: the process answers. Ready: the metadata database
 * and the blob store both answer, and the node is not shutting down.
 */
export class HealthService {
  #draining = false;

  constructor(
    private readonly store: BlobStore,
    private readonly metadata: MetadataStore,
  ) {}

  /** From now on the node reports not ready, so balancers move traffic away while in-flight requests finish. */
  drain(): void {
    this.#draining = true;
  }

  async readiness(): Promise<Readiness> {
    const [metadata, storage] = await Promise.all([
      check(() => this.metadata.ping()),
      check(() => this.store.ping()),
    ]);
    const checks: Record<string, string> = { metadata, storage };
    if (this.#draining) checks.node = 'shutting down';
    return { ready: metadata === 'ok' && storage === 'ok' && !this.#draining, checks };
  }
}

async function check(probe: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${checkTimeoutMs} ms`)), checkTimeoutMs);
      }),
    ]);
    return 'ok';
  } catch (error) {
    return `failing: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

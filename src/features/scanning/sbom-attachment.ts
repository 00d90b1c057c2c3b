import type { Logger } from 'pino';
import { RegistryError } from '../../errors/registry-error.js';
import { systemOrigin, type RegistryEvent } from '../../events/registry-event.js';
import type { MetadataStore, NewJob, Referrer } from '../../metadata/metadata-store.js';
import { imageMediaTypes, mediaTypes } from '../../oci/media-types.js';
import { parseManifest } from '../../oci/manifest.js';
import type { ManifestService } from '../../registry/manifest-service.js';
import type { RequestContext } from '../../registry/request-context.js';
import type { UploadService } from '../../registry/upload-service.js';
import type { Inventory } from '../../scanning/model.js';
import type { SbomFormat } from '../../scanning/sbom/media-types.js';
import { inventoryFingerprint, isBerthSbom, sbomAnnotations, sbomArtifact } from './sbom-artifact.js';
import { builtInScanner, isScannable } from './scan-service.js';

export const sbomJobKind = 'scan.sbom';

export interface SbomJobPayload {
  readonly repository: string;
  readonly digest: string;
}

/** The registry core's push and delete paths, as a client's push and delete take them (policies, events, audit). */
export interface SbomRegistry {
  readonly uploads: Pick<UploadService, 'uploadWhole'>;
  readonly manifests: Pick<ManifestService, 'put' | 'delete'>;
}

export interface SbomAttachmentOptions {
  readonly format: SbomFormat;
  /** Built after the features (the manifest service needs their policies); first called once the job runner runs. */
  readonly registry: () => SbomRegistry;
  readonly enqueue: (job: Omit<NewJob, 'now'>) => Promise<number>;
  readonly log: Logger;
}

/**
 * Berth as the actor of what it pushes and deletes itself: events and the audit log name the system. Access control
 * has nothing to decide (no request), so every action is allowed; the policies at the policy point still apply.
 */
const systemContext: RequestContext = {
  origin: systemOrigin, principal: { kind: 'system', name: systemOrigin.actor }, requestId: undefined, may: async () => true,
};

/** How often a job attaches again when a scan of the image finished while it was attaching the one before. */
const rounds = 3;

/**
 * Attaches each scanned image's inventory as an SBOM referrer, in every repository that holds the image: after a
 * scan (`scan.completed`), and when an image scanned before is pushed to another repository. A job per repository
 * and image (unique while open) pushes the SBOM through the registry core, as a client would, then deletes the SBOMs
 * Berth attached before, so a rescan replaces rather than piles up. The same inventory is never attached twice.
 */
export class SbomAttachment {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly options: SbomAttachmentOptions,
  ) {}

  /** The outbox consumer: queues an attachment per repository for finished scans, and for scanned images pushed elsewhere. */
  async onEvents(events: readonly RegistryEvent[]): Promise<void> {
    const targets = new Map<string, SbomJobPayload>();
    const add = (repository: string, digest: string) => targets.set(`${repository}@${digest}`, { repository, digest });
    const scanned = [...new Set(events.filter((event) => event.type === 'scan.completed').map((event) => event.digest))];
    const holders = scanned.length === 0 ? new Map<string, string[]>() : await this.metadata.scans().repositoriesWith(scanned);
    for (const digest of scanned) {
      for (const repository of holders.get(digest) ?? []) add(repository, digest);
    }
    const pushed = events.filter((event) => event.type === 'artifact.pushed' && isPlainImage(event.data));
    const reports = pushed.length === 0 ? new Map() : await this.metadata.scans().reports([...new Set(pushed.map((event) => event.digest))]);
    for (const event of pushed) {
      if (reports.get(event.digest)?.status !== 'done' || targets.has(`${event.repository}@${event.digest}`)) continue;
      // A tag pushed again, or moved, to an image that has its SBOM here already: nothing to do, and no job for it.
      if ((await this.attached(event.repository, event.digest)).length > 0) continue;
      add(event.repository, event.digest);
    }
    for (const target of targets.values()) {
      await this.options.enqueue({
        kind: sbomJobKind, payload: target, uniqueKey: `${sbomJobKind}:${target.repository}@${target.digest}`, runAfter: Date.now(), maxAttempts: 5,
      });
    }
  }

  /**
   * The `scan.sbom` job. A scan that finishes while it runs finds this job still open and queues none of its own,
   * so the job looks again once done and attaches the newer inventory too.
   */
  async run(payload: SbomJobPayload): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      const attachedScan = await this.#attach(payload);
      if (attachedScan === undefined) return;
      const latest = (await this.metadata.scans().reports([payload.digest])).get(payload.digest)?.finishedAt;
      if (attachedScan === latest) return;
    }
  }

  /** The SBOMs Berth attached to `digest` in `repository` (one, unless a replacement was cut short). */
  async attached(repository: string, digest: string): Promise<Referrer[]> {
    return (await this.metadata.referrers(repository, digest)).filter(isBerthSbom);
  }

  /**
   * Attaches the image's current inventory; answers the end time of the scan it came from, or of the scan that had
   * none to attach (undefined: the image is gone, or never finished a scan).
   */
  async #attach({ repository, digest }: SbomJobPayload): Promise<number | undefined> {
    const image = await this.metadata.manifestByDigest(repository, digest);
    // Deleted since: its referrers follow the registry's rules for referrers of a deleted subject.
    if (image === undefined || !isScannable(parseManifest(image.content, image.mediaType))) return undefined;
    const report = (await this.metadata.scans().reports([digest])).get(digest);
    // Only the built-in scanner reads the inventory (alone, or beside external scanners: `berth+trivy`); an external
    // scanner used instead of it leaves none, and its report names vulnerable packages, not what the image holds.
    if (report?.status !== 'done' || !report.scanner.split('+').includes(builtInScanner)) return report?.finishedAt;
    const inventory: Inventory = {
      ...(report.distro ? { distro: report.distro } : {}),
      packages: (await this.metadata.scans().packages(digest)).map(({ seq: _seq, ...pkg }) => pkg),
    };
    const fingerprint = inventoryFingerprint(inventory, this.options.format);
    const attached = await this.attached(repository, digest);
    let keep = attached.find((referrer) => referrer.annotations?.[sbomAnnotations.inventory] === fingerprint)?.digest;
    if (keep === undefined) {
      const artifact = sbomArtifact(this.options.format, inventory, {
        repository, digest, descriptor: { mediaType: image.mediaType, digest, size: image.size },
      }, new Date(report.finishedAt ?? Date.now()));
      await this.#push(repository, artifact);
      keep = artifact.manifestDigest;
      this.options.log.info({ repository, digest, sbom: keep, format: this.options.format, packages: inventory.packages.length }, 'attached an SBOM to an image');
    }
    for (const stale of attached.filter((referrer) => referrer.digest !== keep)) await this.#remove(repository, stale.digest);
    return report.finishedAt;
  }

  async #push(repository: string, artifact: ReturnType<typeof sbomArtifact>): Promise<void> {
    const registry = this.options.registry();
    const linked = await this.metadata.linkedBlobSizes(repository, artifact.blobs.map((blob) => blob.descriptor.digest));
    for (const { descriptor, bytes } of artifact.blobs) {
      if (linked.get(descriptor.digest) === descriptor.size) continue;
      await registry.uploads.uploadWhole(systemContext, repository, descriptor.digest, { body: once(bytes), contentLength: bytes.length, contentRange: undefined });
    }
    await registry.manifests.put(systemContext, repository, artifact.manifestDigest, artifact.manifest, mediaTypes.ociManifest);
  }

  /**
   * Deletes an SBOM Berth attached before, through the registry's delete path. Where deletes are turned off, or a
   * policy keeps the manifest (someone tagged it under an immutable tag), it stays, and the log says so.
   */
  async #remove(repository: string, digest: string): Promise<void> {
    try {
      await this.options.registry().manifests.delete(systemContext, repository, digest);
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      // Deleted meanwhile (by someone, or by another job of this image): what was wanted.
      if (error.code === 'MANIFEST_UNKNOWN') return;
      this.options.log.warn({ repository, sbom: digest, reason: error.message }, 'an SBOM Berth attached before could not be replaced, and stays');
    }
  }
}

/** From an `artifact.pushed` event's data: an image manifest that refers to nothing (signatures and SBOMs do). */
function isPlainImage(data: RegistryEvent['data']): boolean {
  const fields = (data ?? {}) as { mediaType?: unknown; subject?: unknown };
  return typeof fields.mediaType === 'string' && imageMediaTypes.has(fields.mediaType) && fields.subject === undefined;
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

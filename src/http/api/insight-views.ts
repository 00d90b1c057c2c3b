import type { ArtifactDetail } from '../../insight/artifact-inspector.js';
import type { LatestAnswer, TagView } from '../../insight/insight-service.js';
import type { ProjectUsage, RepositorySummary } from '../../metadata/insight-store.js';
import type { Job } from '../../metadata/metadata-store.js';
import { projectOf } from '../../auth/roles.js';
import { iso } from './api-views.js';

/** JSON of the query API, tag lists, "latest" and usage: times as ISO 8601 (null when never), sizes in bytes. */

export function tagView(row: TagView) {
  return {
    repository: row.repository, tag: row.tag, digest: row.digest, mediaType: row.mediaType, artifactType: row.artifactType ?? null,
    size: row.size, platforms: row.platforms.map(platformView), pushedAt: iso(row.pushedAt), created: iso(row.created),
    lastPulledAt: iso(row.lastPulledAt), pulls: row.pulls, tagPulls: row.tagPulls, quarantined: row.quarantined, labels: row.labels,
  };
}

function platformView(platform: { digest: string; os: string; architecture: string; variant: string }) {
  return { digest: platform.digest, os: platform.os, architecture: platform.architecture, variant: platform.variant || null };
}

export function repositoryView(summary: RepositorySummary) {
  return {
    name: summary.name, project: projectOf(summary.name), artifactCount: summary.artifactCount, tagCount: summary.tagCount,
    storedBytes: summary.storedBytes, pulls: summary.pulls, lastPulledAt: iso(summary.lastPulledAt), updatedAt: iso(summary.updatedAt),
  };
}

export function usageView(project: string, usage: ProjectUsage) {
  return {
    project, repositories: usage.repositories, storedBytes: usage.storedBytes, logicalBytes: usage.logicalBytes,
    savedByDeduplication: usage.logicalBytes - usage.storedBytes, pulls: usage.pulls, lastPulledAt: iso(usage.lastPulledAt),
  };
}

export function latestView(answer: LatestAnswer) {
  return {
    repository: answer.repository, tag: answer.tag, digest: answer.digest, by: answer.by, version: answer.version ?? null,
    platformDigest: answer.platformDigest ?? null, pushedAt: iso(answer.pushedAt), created: iso(answer.created),
  };
}

export function artifactDetailView(detail: ArtifactDetail) {
  return {
    repository: detail.repository, digest: detail.digest, mediaType: detail.mediaType, artifactType: detail.artifactType ?? null,
    size: detail.size, tags: detail.tags, pushedAt: iso(detail.pushedAt), lastPulledAt: iso(detail.lastPulledAt), pulls: detail.pulls,
    tagPulls: Object.fromEntries(Object.entries(detail.tagPulls).map(([tag, figures]) => [tag, { pulls: figures.pulls, lastPulledAt: iso(figures.lastPulledAt) }])),
    annotations: detail.annotations,
    manifest: detail.manifest,
    platforms: detail.platforms.map((platform) => ({
      digest: platform.digest, mediaType: platform.mediaType, os: platform.os ?? null, architecture: platform.architecture ?? null,
      variant: platform.variant ?? null, size: platform.size, annotations: platform.annotations, artifactType: platform.artifactType ?? null,
      config: platform.config ? {
        labels: platform.config.labels, env: platform.config.env, entrypoint: platform.config.entrypoint, cmd: platform.config.cmd,
        workingDir: platform.config.workingDir ?? null, user: platform.config.user ?? null, created: iso(platform.config.created),
        author: platform.config.author ?? null,
      } : null,
      history: (platform.config?.history ?? []).map((entry) => ({
        created: iso(entry.created), createdBy: entry.createdBy ?? null, comment: entry.comment ?? null, emptyLayer: entry.emptyLayer,
      })),
      layers: platform.layers,
    })),
    referrers: detail.referrers.map((referrer) => ({
      digest: referrer.digest, artifactType: referrer.artifactType ?? null, mediaType: referrer.mediaType, size: referrer.size,
      annotations: referrer.annotations, group: referrer.group, tag: referrer.tag ?? null,
    })),
    quarantine: detail.quarantine ? { reason: detail.quarantine.reason, by: detail.quarantine.by, at: iso(detail.quarantine.at), via: detail.quarantine.via ?? null } : null,
  };
}

export function jobView(job: Job) {
  return {
    id: job.id, kind: job.kind, status: job.status, attempts: job.attempts, maxAttempts: job.maxAttempts, progress: job.progress ?? null,
    lastError: job.lastError ?? null, runAfter: iso(job.runAfter), createdAt: iso(job.createdAt), updatedAt: iso(job.updatedAt),
  };
}

import { severities } from '../../features/scanning/vulnerability-report.js';
import { errorResponse, nullable, object, operation, parameter, pathParameter, ref, time, type Schema } from './openapi-kit.js';

/** The OpenAPI description of vulnerability scanning: reports per image and platform, scans on demand, the feed. */

const severity: Schema = { type: 'string', enum: [...severities] };
const reference = [
  { ...parameter('repository', 'query', { type: 'string', minLength: 1, maxLength: 255 }, 'A repository name, such as team/app.'), required: true },
  { ...parameter('reference', 'query', { type: 'string', minLength: 1, maxLength: 200 }, 'A tag or a digest.'), required: true },
];
const summary = object({
  critical: { type: 'integer' }, high: { type: 'integer' }, medium: { type: 'integer' }, low: { type: 'integer' },
  other: { type: 'integer', description: 'Negligible and unknown.' }, fixable: { type: 'integer', description: 'Findings with a fixed version.' },
  total: { type: 'integer' },
});
const status: Schema = {
  type: 'string', enum: ['queued', 'scanning', 'done', 'failed', 'unsupported', 'not scanned'],
  description: 'unsupported: not a container image (an artifact whose layers are not file systems).',
};
const unsupported = errorResponse('UNSUPPORTED: scanning is turned off on this registry (scanning.enabled).');
const withOff = (described: Schema): Schema => ({ ...described, responses: { ...(described.responses as Schema), 405: unsupported } });

export const scanningSchemas: Record<string, Schema> = {
  SeveritySummary: summary,
  PlatformScan: object({
    digest: { type: 'string', description: 'The image scanned: the artifact itself, or a platform of the index.' },
    platform: nullable('string', { description: 'os/architecture[/variant], when known.' }),
    status,
    reason: nullable('string', { description: 'Why the scan failed.' }),
    scanner: nullable('string'),
    distro: { type: ['object', 'null'], description: 'The distribution the image is built on (os-release), with its OSV ecosystem.' },
    packages: { type: 'integer', description: 'Packages in its inventory.' },
    summary: ref('SeveritySummary'),
    queuedAt: time('When the scan was queued.'),
    startedAt: time('When it started.'),
    finishedAt: time('When the image was last read.'),
    matchedAt: time('When its findings were last matched (a scan, or a rescan after the advisories changed).'),
    sbom: {
      type: ['object', 'null'], description: 'The SBOM Berth attached to the image as an OCI referrer in this repository (scanning.sbom); null until one is.',
      properties: {
        digest: { type: 'string', description: 'The SBOM manifest: GET /v2/{repository}/manifests/{digest}, or oras pull.' },
        artifactType: { type: 'string', enum: ['application/vnd.cyclonedx+json', 'application/spdx+json'] },
        format: { type: 'string', enum: ['cyclonedx', 'spdx'] },
        size: { type: 'integer', description: 'The SBOM manifest\'s size in bytes.' },
        created: time('When the inventory it holds was read (the scan).'),
      },
      required: ['digest', 'artifactType', 'format', 'size', 'created'], additionalProperties: false,
    },
  }),
  Vulnerability: object({
    id: { type: 'string', description: 'The advisory (GHSA-…, DSA-…, ALPINE-CVE-…).' },
    aliases: { type: 'array', items: { type: 'string' }, description: 'Other ids of the same vulnerability (CVEs).' },
    summary: nullable('string'),
    severity,
    score: nullable('number', { description: 'The CVSS base score behind the severity, when one was computed.' }),
    package: { type: 'string', description: 'The package as installed (the binary package for OS packages).' },
    version: { type: 'string' },
    fixedVersion: nullable('string', { description: 'The lowest version that fixes it; null when no fix is known.' }),
    kind: {
      type: 'string', enum: ['dpkg', 'apk', 'rpm', 'npm', 'pypi', 'go', 'maven', 'reported'],
      description: 'reported: named by an external scanner\'s report, which gives no ecosystem, file or purl (those are empty).',
    },
    ecosystem: { type: 'string', description: 'The OSV ecosystem it was matched in (Debian:12, Alpine:v3.20, npm, …).' },
    sourcePackage: nullable('string', { description: 'The source package OS advisories name.' }),
    path: { type: 'string', description: 'The file in the image it was read from.' },
    purl: { type: 'string' },
    scanner: { type: 'string', description: 'The scanner that found it: berth (built in), or an external scanner\'s name (GET /api/v1/scanners).' },
    links: { type: 'array', items: { type: 'string' }, description: 'Links an external scanner gave to fuller descriptions.' },
    platforms: { type: 'array', items: { type: 'string' }, description: 'The image digests (platforms) it was found in.' },
  }),
  VulnerabilityReport: object({
    repository: { type: 'string' },
    reference: { type: 'string' },
    digest: { type: 'string' },
    mediaType: { type: 'string' },
    status: { ...status, description: 'For an index, the least advanced of its platforms\' scans.' },
    summary: ref('SeveritySummary'),
    platforms: { type: 'array', items: ref('PlatformScan') },
    vulnerabilities: { type: 'array', items: ref('Vulnerability') },
  }),
  ScanRequest: object({ repository: { type: 'string' }, reference: { type: 'string', description: 'A tag or a digest.' } }),
  AdvisoryFeed: object({
    source: { type: 'string', description: 'An OSV ecosystem folder: Debian, Alpine, npm, PyPI, Go, Maven, …' },
    location: { type: 'string' },
    records: { type: 'integer', description: 'Advisories stored (all sources).' },
    refreshedAt: time('When it was last refreshed.'),
    newestModified: time('The newest advisory read: the next refresh reads what changed after it.'),
    error: nullable('string', { description: 'Why the last refresh failed.' }),
  }),
  AdvisoryFeedList: object({ items: { type: 'array', items: ref('AdvisoryFeed') } }),
  FeedRefresh: object({ job: { type: 'integer', description: 'The scan.feed job: follow it in GET /api/v1/jobs?kind=scan.feed.' } }),
  VulnerabilityPolicy: object({
    project: { type: 'string' },
    blockSeverity: { type: ['string', 'null'], enum: [...severities, null], description: 'Pulls of images with a finding at or above it (not allowlisted) are refused; null: none are.' },
    blockUnscanned: { type: 'boolean', description: 'Pulls of images whose scan has not finished are refused.' },
    autoQuarantine: { type: 'boolean', description: 'A rescan that finds a new critical vulnerability quarantines the image.' },
    updatedBy: nullable('string'),
    updatedAt: time('When it was last changed; null if never.'),
  }),
  VulnerabilityPolicyChange: object({
    blockSeverity: { type: ['string', 'null'], enum: [...severities, null] },
    blockUnscanned: { type: 'boolean' },
    autoQuarantine: { type: 'boolean' },
  }, []),
  AllowedAdvisory: object({
    id: { type: 'integer' },
    project: nullable('string', { description: 'null: the registry-wide allowlist.' }),
    advisory: { type: 'string', description: 'An advisory id or one of its aliases (a CVE).' },
    reason: { type: 'string' },
    expiresAt: time('After this the entry no longer applies; null: never.'),
    expired: { type: 'boolean' },
    createdBy: { type: 'string' },
    createdAt: time('When it was added.'),
  }),
  AllowedAdvisoryList: object({ items: { type: 'array', items: ref('AllowedAdvisory') } }),
  ProjectImageScan: object({
    repository: { type: 'string' },
    digest: { type: 'string', description: 'The image (a platform of an index is listed on its own).' },
    tags: { type: 'array', items: { type: 'string' }, description: 'The first few tags, by name, naming the image or an index that holds it.' },
    tagCount: { type: 'integer' },
    pushedAt: time('When it was pushed to the repository.'),
    status,
    reason: nullable('string', { description: 'Why the scan failed.' }),
    scanner: nullable('string'),
    summary: ref('SeveritySummary'),
    finishedAt: time('When the image was last read.'),
    matchedAt: time('When its findings were last matched.'),
  }),
  ProjectVulnerabilities: object({
    project: { type: 'string' },
    totals: object({
      images: { type: 'integer', description: 'Image manifests of the project\'s repositories (one per repository), indexes and referrers left out.' },
      byStatus: object(Object.fromEntries(['queued', 'scanning', 'done', 'failed', 'unsupported', 'not scanned'].map((name) => [name, { type: 'integer' }]))),
      byWorstSeverity: {
        ...object({
          critical: { type: 'integer' }, high: { type: 'integer' }, medium: { type: 'integer' }, low: { type: 'integer' },
          other: { type: 'integer' }, none: { type: 'integer', description: 'Scanned, with no finding.' },
        }),
        description: 'Images whose findings were ever matched, by their worst finding.',
      },
      findings: ref('SeveritySummary'),
    }),
    items: { type: 'array', items: ref('ProjectImageScan') },
    next: nullable('string', { description: 'Pass as `last` for the next page; null on the last page.' }),
  }),
  AllowAdvisory: object({
    advisory: { type: 'string', maxLength: 256 },
    reason: { type: 'string', minLength: 1, maxLength: 1024 },
    expiresAt: { type: ['string', 'integer'], description: 'ISO 8601 or milliseconds since the epoch; absent: it does not expire.' },
  }, ['advisory', 'reason']),
};

const projectName = pathParameter('name', 'The project name.');
const entryId = pathParameter('id', 'The allowlist entry\'s id.');

const readable = (described: Schema): Schema => ({ ...described, security: [{}, { basic: [] }, { session: [] }] });

export const scanningPaths: Record<string, Record<string, Schema>> = {
  '/api/v1/vulnerabilities': {
    get: withOff(readable(operation('getVulnerabilities', {
      summary: 'An image\'s vulnerabilities (an index: each platform\'s, and together), with its scan state.', tag: 'vulnerabilities', public: true,
      parameters: [
        ...reference,
        parameter('severity', 'query', severity, 'Only findings at or above this severity (case does not matter).'),
        parameter('package', 'query', { type: 'string', maxLength: 256 }, 'Only findings in packages whose name contains this.'),
        parameter('fixable', 'query', { type: 'string', enum: ['true', 'false'] }, 'true: only findings with a fix; false: only those without.'),
      ],
      response: 'VulnerabilityReport', errors: [400, 401, 404, 429],
    }))),
  },
  '/api/v1/scans': {
    post: withOff(operation('requestScan', {
      summary: 'Scan an image (an index: each platform) again: those who may push to the repository.', tag: 'vulnerabilities',
      body: 'ScanRequest', status: 202, response: 'VulnerabilityReport', errors: [400, 404],
      description: 'Queues the scan and answers at once with the report as it stands (status queued); poll GET /api/v1/vulnerabilities.',
    })),
  },
  '/api/v1/projects/{name}/vulnerabilities': {
    get: withOff(readable(operation('getProjectVulnerabilities', {
      summary: 'A project\'s images worst first (most critical findings, then high, …, then fixable), with its figures.', tag: 'vulnerabilities', public: true,
      parameters: [projectName], response: 'ProjectVulnerabilities', paged: true, errors: [400, 401, 404, 429],
      description: 'For whoever may pull from the project. Keyset pages: follow `next` (or the Link header); the totals cover the whole project on every page.',
    }))),
  },
  '/api/v1/projects/{name}/vulnerability-policy': {
    get: withOff(operation('getVulnerabilityPolicy', {
      summary: 'The project\'s vulnerability policy (members).', tag: 'vulnerabilities', parameters: [projectName], response: 'VulnerabilityPolicy', errors: [404],
    })),
    put: withOff(operation('setVulnerabilityPolicy', {
      summary: 'Change the project\'s vulnerability policy (maintainers); fields left out keep their value.', tag: 'vulnerabilities',
      parameters: [projectName], body: 'VulnerabilityPolicyChange', response: 'VulnerabilityPolicy', errors: [404],
      description: 'A refused pull (GET or HEAD of a manifest, by tag or digest) answers 403 DENIED naming the policy, the count and the worst findings.',
    })),
  },
  '/api/v1/projects/{name}/vulnerability-allowlist': {
    get: withOff(operation('listProjectAllowlist', { summary: 'Advisories the project accepts (members).', tag: 'vulnerabilities', parameters: [projectName], response: 'AllowedAdvisoryList', errors: [404] })),
    post: withOff(operation('allowProjectAdvisory', {
      summary: 'Accept an advisory in the project, until an optional expiry (maintainers); replaces the entry for the same advisory.', tag: 'vulnerabilities',
      parameters: [projectName], body: 'AllowAdvisory', status: 201, response: 'AllowedAdvisory', errors: [404],
    })),
  },
  '/api/v1/projects/{name}/vulnerability-allowlist/{id}': {
    delete: withOff(operation('removeProjectAllowlistEntry', { summary: 'Remove an allowlist entry (maintainers).', tag: 'vulnerabilities', parameters: [projectName, entryId], errors: [400, 404] })),
  },
  '/api/v1/vulnerability-allowlist': {
    get: withOff(operation('listRegistryAllowlist', { summary: 'Advisories the whole registry accepts.', tag: 'vulnerabilities', response: 'AllowedAdvisoryList' })),
    post: withOff(operation('allowRegistryAdvisory', {
      summary: 'Accept an advisory in every project (system administrators).', tag: 'vulnerabilities', body: 'AllowAdvisory', status: 201, response: 'AllowedAdvisory',
    })),
  },
  '/api/v1/vulnerability-allowlist/{id}': {
    delete: withOff(operation('removeRegistryAllowlistEntry', { summary: 'Remove a registry-wide allowlist entry (system administrators).', tag: 'vulnerabilities', parameters: [entryId], errors: [400, 404] })),
  },
  '/api/v1/advisory-feeds': {
    get: withOff(readable(operation('listAdvisoryFeeds', {
      summary: 'The advisory feed: per source, where it was read from, how far, and the last error.', tag: 'vulnerabilities', public: true,
      response: 'AdvisoryFeedList', errors: [401, 429],
    }))),
  },
  '/api/v1/advisory-feeds/refresh': {
    post: withOff(operation('refreshAdvisoryFeeds', {
      summary: 'Refresh the advisory feed now rather than at its next interval (system administrators).', tag: 'vulnerabilities',
      status: 202, response: 'FeedRefresh',
      description: 'Queues the scan.feed job (or answers the one already queued or running): each source stored inventories need is read '
        + 'again (its modified_id.csv, then only the records changed), and the images the changed advisories touch are matched again '
        + 'without reading their layers. Errors are recorded per source in GET /api/v1/advisory-feeds.',
    })),
  },
};

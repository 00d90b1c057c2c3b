import type { TrustService } from '../features/trust/trust-service.js';
import type { AccessControl } from '../auth/access-control.js';
import type { AdminService } from '../auth/admin/admin-service.js';
import type { OidcLoginService } from '../auth/oidc-login-service.js';
import type { ImmutableTagService } from '../features/immutable-tags/immutable-tag-service.js';
import type { QuarantineService } from '../features/quarantine/quarantine-service.js';
import type { WebhookService } from '../features/webhooks/webhook-service.js';
import type { HealthService } from '../ops/health-service.js';
import type { BlobService } from '../registry/blob-service.js';
import type { ListingService } from '../registry/listing-service.js';
import type { ManifestService } from '../registry/manifest-service.js';
import type { ArtifactInspector } from '../insight/artifact-inspector.js';
import type { ScanService } from '../features/scanning/scan-service.js';
import type { ProjectVulnerabilityService } from '../features/scanning/project-vulnerabilities.js';
import type { VulnerabilityPolicyService } from '../features/scanning/vulnerability-policy-service.js';
import type { InsightService } from '../insight/insight-service.js';
import type { PolicyPoint } from '../registry/policy-point.js';
import type { UploadService } from '../registry/upload-service.js';
import type { MetricsExposure } from './routes/metrics-routes.js';
import type { RequestActivity } from '../jobs/request-activity.js';

/** What the composition root (app.ts) hands the HTTP layer: the services it translates requests into calls on. */
export interface RegistryServices {
  readonly blobs: BlobService;
  readonly uploads: UploadService;
  readonly manifests: ManifestService;
  readonly listings: ListingService;
  readonly health: HealthService;
  readonly access: AccessControl;
  /** The registry's policy point, for writes the upload path starts. */
  readonly policies: PolicyPoint;
  /** The rules of the administration API (/api/v1). */
  readonly admin: AdminService;
  readonly quarantines: QuarantineService;
  readonly immutableTags: ImmutableTagService;
  readonly webhooks: WebhookService;
  /** Tag lists, queries, "latest" and usage figures. */
  readonly insight: InsightService;
  /** The artifact page: a manifest with its platforms' configs, referrers and pulls. */
  readonly inspector: ArtifactInspector;
  /** The vulnerability scanner; undefined when scanning.enabled is false. */
  readonly scans: ScanService | undefined;
  readonly trust: TrustService;
  /** Projects' vulnerability policies and allowlists; undefined when scanning is off. */
  readonly vulnerabilityPolicies: VulnerabilityPolicyService | undefined;
  /** Projects' vulnerability overviews (their images worst first); undefined when scanning is off. */
  readonly projectVulnerabilities: ProjectVulnerabilityService | undefined;
  /** The address clients reach Berth at, when configured; token realms are built from it. */
  readonly externalUrl: string | undefined;
  /** Requests being served, counted for the job runner: background work that yields to requests reads it. */
  readonly activity?: RequestActivity | undefined;
  /** Prometheus metrics, when metrics.enabled: the figures, and where and to whom they are served. */
  readonly metrics?: MetricsExposure | undefined;
  /** Browser sign-in through OpenID Connect, when auth.oidc is configured. */
  readonly oidc?: OidcLoginService | undefined;
}

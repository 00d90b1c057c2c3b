import type { Generated } from 'kysely';

/**
 * Tables of the metadata store. Timestamps are milliseconds since the epoch. Repository names are the keys of the
 * link tables: they never change, and keeping them spares a lookup on every request.
 */
export interface Database {
  repositories: { name: string; created_at: number };
  /** Content known to the registry, one row per digest whatever the number of repositories. */
  blobs: { digest: string; size: number; created_at: number };
  /** Which repository may see which blob: it pushed or mounted it. */
  repository_blobs: { repository: string; digest: string; created_at: number };
  /** Manifest bodies, by digest, with what the referrers API and later features need to know without parsing. */
  manifests: {
    digest: string;
    media_type: string;
    size: number;
    content: Buffer;
    artifact_type: string | null;
    subject_digest: string | null;
    annotations: string | null;
    created_at: number;
  };
  /** What each manifest references (kind 'blob' or 'manifest'): for garbage collection, quotas and retention. */
  manifest_references: { manifest_digest: string; child_digest: string; kind: string };
  repository_manifests: { repository: string; digest: string; created_at: number };
  tags: { repository: string; name: string; digest: string; updated_at: number };
  upload_sessions: { id: string; repository: string; created_at: number; updated_at: number };
  /** The durable job queue (migration 0002). */
  jobs: {
    id: Generated<number>;
    kind: string;
    unique_key: string | null;
    payload: string;
    status: string;
    attempts: number;
    max_attempts: number;
    run_after: number;
    lease_owner: string | null;
    lease_until: number | null;
    progress: string | null;
    last_error: string | null;
    created_at: number;
    updated_at: number;
  };
  /**
   * The outbox: every state change, written in the same transaction as the change (migration 0004 added who caused
   * it and its JSON `data`), read in id order by each consumer from its cursor.
   */
  events: {
    id: Generated<number>;
    type: string;
    repository: string;
    digest: string;
    tag: string | null;
    created_at: number;
    actor: string | null;
    actor_kind: string | null;
    address: string | null;
    data: string | null;
  };
  /** How far each outbox consumer has read, and which node feeds it now (a lease). */
  outbox_cursors: { consumer: string; position: number; lease_owner: string | null; lease_until: number | null; updated_at: number };
  /** Tags that, once they exist, may be neither moved nor deleted (glob patterns, Harbor's semantics). */
  immutable_tag_rules: {
    id: Generated<number>;
    project: string;
    repository_pattern: string;
    tag_pattern: string;
    created_by: string;
    created_at: number;
  };
  /** Digests no one may pull: `via` is '' when quarantined itself, else the index it was quarantined with. */
  quarantines: { repository: string; digest: string; via: string; reason: string; created_by: string; created_at: number };
  /** Webhook subscriptions per project (migration 0006); `event_types` is a JSON array, `enabled` 0/1. */
  webhook_subscriptions: {
    id: Generated<number>;
    project_id: number;
    url: string;
    secret: string;
    event_types: string;
    repository_pattern: string;
    tag_pattern: string;
    description: string | null;
    enabled: number;
    created_by: string;
    created_at: number;
    updated_at: number;
  };
  /** One delivery per subscription and event, with a copy of the event (JSON). */
  webhook_deliveries: {
    id: Generated<number>;
    subscription_id: number;
    event_id: number;
    event_type: string;
    event: string;
    status: string;
    attempts: number;
    error: string | null;
    created_at: number;
    updated_at: number;
  };
  webhook_attempts: {
    delivery_id: number;
    attempt: number;
    status: string;
    response_code: number | null;
    duration_ms: number;
    error: string | null;
    at: number;
  };
  /** What queries read of each manifest without parsing it (migration 0007): image config facts and total size. */
  artifacts: {
    digest: string;
    config_digest: string | null;
    os: string | null;
    architecture: string | null;
    variant: string | null;
    created: number | null;
    author: string | null;
    labels: string | null;
    total_size: number;
  };
  /** Platforms of an artifact: one row for an image (child_digest its own digest), one per child of an index. */
  artifact_platforms: { digest: string; child_digest: string; os: string; architecture: string; variant: string };
  /** Config labels ('label') and manifest annotations ('annotation') as rows, for filters. */
  artifact_properties: { digest: string; source: string; key: string; value: string };
  pull_stats: { repository: string; digest: string; pulls: number; last_pulled_at: number };
  tag_pull_stats: { repository: string; tag: string; pulls: number; last_pulled_at: number };
  /** The last outbox event counted into the pull figures (one row, name 'pulls'). */
  pull_stats_position: { name: string; event_id: number };
  /** A scan per manifest digest (migration 0008): its state and findings counted by severity. */
  scan_reports: {
    /** Migration 0010: the image's compact key, which its packages and findings name it by. */
    image_id: Generated<number>;
    digest: string;
    status: string;
    reason: string | null;
    scanner: string;
    distro: string | null;
    package_count: number;
    critical: number;
    high: number;
    medium: number;
    low: number;
    other: number;
    fixable: number;
    queued_at: number;
    started_at: number | null;
    finished_at: number | null;
    matched_at: number | null;
  };
  /** An image's installed packages; `match_name` is the name advisories use (an OS package's source). */
  scan_packages: {
    image_id: number;
    seq: number;
    kind: string;
    ecosystem: string;
    match_name: string;
    name: string;
    version: string;
    source_name: string | null;
    source_version: string | null;
    arch: string | null;
    purl: string;
    path: string;
  };
  scan_findings: {
    image_id: number; advisory_id: string; package_seq: number; fixed_version: string | null; severity: string; score: number | null;
    /** Migration 0009: set for findings an external scanner reported (null: matched by Berth); `links` a JSON array. */
    reported_by: string | null; package_name: string | null; package_version: string | null; summary: string | null; links: string | null;
  };
  /** OSV records as the matcher reads them; `aliases` a JSON array. */
  advisories: { id: string; modified: number; summary: string | null; aliases: string; record: string };
  advisory_packages: { ecosystem: string; name: string; advisory_id: string };
  /** Migration 0011: each project's signature trust mode, and the keys it trusts; 0012: per_platform (0/1), notation_policy (JSON). */
  trust_policies: {
    project: string; mode: string; identities: string; updated_by: string; updated_at: number; per_platform: Generated<number>; notation_policy: string | null;
  };
  trust_keys: {
    id: Generated<number>; project: string; name: string; kind: string; pem: string; hint: string; created_by: string; created_at: number;
  };
  vulnerability_policies: {
    project: string;
    block_severity: string | null;
    block_unscanned: number;
    auto_quarantine: number;
    updated_by: string;
    updated_at: number;
  };
  /** Project '' holds the registry-wide entries. */
  vulnerability_allowlist: {
    id: Generated<number>;
    project: string;
    advisory_id: string;
    reason: string;
    expires_at: number | null;
    created_by: string;
    created_at: number;
  };
  advisory_feeds: { source: string; location: string; newest_modified: number | null; records: number; refreshed_at: number; error: string | null };
  /** Identity and access (migration 0003). Flags are 0/1 integers. */
  users: {
    id: Generated<number>;
    username: string;
    email: string | null;
    display_name: string | null;
    source: string;
    external_id: string | null;
    password_hash: string | null;
    admin: number;
    disabled: number;
    created_at: number;
    updated_at: number;
    last_login_at: number | null;
  };
  groups: { id: Generated<number>; name: string; source: string; external_name: string | null; created_at: number };
  group_members: { group_id: number; user_id: number };
  projects: { id: Generated<number>; name: string; public: number; created_by: string | null; created_at: number; updated_at: number };
  project_members: { project_id: number; member_kind: string; member_id: number; role: string; created_at: number };
  robots: {
    id: Generated<number>;
    name: string;
    description: string | null;
    secret_hash: string;
    permissions: string;
    expires_at: number | null;
    revoked_at: number | null;
    created_by: string;
    created_at: number;
    last_used_at: number | null;
  };
  personal_tokens: {
    id: Generated<number>;
    user_id: number;
    name: string;
    secret_hash: string;
    expires_at: number | null;
    revoked_at: number | null;
    created_at: number;
    last_used_at: number | null;
  };
  signing_keys: { kid: string; private_jwk: string; created_at: number };
  revoked_sessions: { jti: string; expires_at: number };
  login_failures: { key: string; failures: number; window_start: number };
  audit_events: {
    id: Generated<number>;
    at: number;
    actor: string;
    actor_kind: string;
    action: string;
    repository: string | null;
    digest: string | null;
    tag: string | null;
    address: string | null;
    outcome: string;
    detail: string | null;
  };
}

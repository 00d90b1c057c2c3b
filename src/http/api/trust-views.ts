import type { ProjectTrustView, TrustStatus } from '../../features/trust/trust-service.js';
import type { TrustKey } from '../../metadata/trust-store.js';

/** The trust API's JSON: times as ISO 8601, keys without their PEM in lists (the hint names them). */

export function trustKeyView(key: TrustKey) {
  return { name: key.name, kind: key.kind, hint: key.hint, pem: key.pem, createdBy: key.createdBy, createdAt: new Date(key.createdAt).toISOString() };
}

export function projectTrustView(view: ProjectTrustView) {
  return {
    project: view.project, mode: view.mode,
    identities: view.identities.map((identity) => ({ subject: identity.subject, issuer: identity.issuer ?? null })),
    perPlatform: view.perPlatform,
    notationPolicy: view.notationPolicy ?? null,
    updatedBy: view.updatedBy ?? null,
    updatedAt: view.updatedAt === undefined ? null : new Date(view.updatedAt).toISOString(),
    keys: view.keys.map(trustKeyView),
  };
}

export function trustStatusView(status: TrustStatus) {
  return {
    repository: status.repository, digest: status.digest, mode: status.mode,
    verified: status.trusted, basis: status.basis, index: status.index ?? null,
    signatures: status.signatures.map(({ artifact, via, verdict }) => ({
      artifact, via, tool: verdict.tool, format: verdict.format, valid: verdict.valid,
      signer: verdict.valid ? verdict.signer : null,
      role: verdict.valid ? verdict.role : null,
      reason: verdict.valid ? (verdict.warnings.length === 0 ? null : verdict.warnings.join('; ')) : verdict.reason,
      failure: verdict.valid ? null : verdict.failure,
      validUntil: verdict.valid && verdict.validUntil ? verdict.validUntil.toISOString() : null,
    })),
  };
}

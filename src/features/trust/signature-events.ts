import { projectOf } from '../../auth/roles.js';
import type { OutboxConsumer } from '../../events/outbox-consumer.js';
import { type NewRegistryEvent, type RegistryEvent, signatureCheckedEvent } from '../../events/registry-event.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import { classifySignatureManifest, parseCosignTag } from '../../signatures/signature-kinds.js';
import type { ProjectTrustCache } from './project-trust.js';
import type { SignatureDiscovery } from './signature-discovery.js';
import { judgeTrust } from './trust-verdict.js';

/** The outbox consumer's cursor name: never renamed. */
export const signatureEventsConsumer = 'trust-signatures';

/**
 * Tells webhooks of every signature pushed into a project that checks signatures (mode audit or enforce, or with
 * trusted keys): `signature.verified` or `signature.rejected` for the signed image, from whoever pushed it, with the
 * verdict of that signature and whether the image now verifies. A cosign `.sig` tag names its image; a referrer its
 * `subject`. Other pushes (SBOMs, images) are passed over.
 */
export function signatureEvents(metadata: MetadataStore, discovery: SignatureDiscovery, trust: ProjectTrustCache): OutboxConsumer {
  return {
    name: signatureEventsConsumer,
    types: new Set(['artifact.pushed']),
    async handle(events: readonly RegistryEvent[]) {
      const checked: NewRegistryEvent[] = [];
      for (const event of events) {
        const subject = subjectOf(event);
        if (subject === undefined) continue;
        const version = metadata.changeVersion();
        const trusted = await trust.of(projectOf(event.repository), version);
        const { policy } = trusted;
        if ((policy === undefined || policy.mode === 'off') && trusted.cosign.keys.length === 0 && trusted.notation === undefined) continue;
        const manifest = await metadata.manifestByDigest(event.repository, event.digest);
        if (manifest === undefined || !isSignature(manifest.content)) continue;
        const verdict = await judgeTrust(metadata, discovery, trusted, event.repository, subject);
        const own = verdict.signatures.filter((found) => found.artifact === event.digest).map(({ verdict: one }) => one);
        const valid = own.some((one) => one.valid && one.role === 'signature');
        checked.push(signatureCheckedEvent(valid, event.repository, subject, event.origin, {
          signature: event.digest, mode: policy?.mode ?? 'off', verified: verdict.trusted,
          checks: own.map((one) => (one.valid ? { tool: one.tool, format: one.format, valid: true, signer: one.signer, role: one.role } : {
            tool: one.tool, format: one.format, valid: false, failure: one.failure, reason: one.reason,
          })),
        }, Date.now()));
      }
      if (checked.length > 0) await metadata.outbox().append(checked);
    },
  };
}

function subjectOf(event: RegistryEvent): string | undefined {
  const data = event.data ?? {};
  if (typeof data.subject === 'string') return data.subject;
  const tags = Array.isArray(data.tags) ? data.tags : [];
  for (const tag of tags) {
    const named = typeof tag === 'string' ? parseCosignTag(tag) : undefined;
    if (named?.suffix === 'sig') return named.digest;
  }
  return undefined;
}

function isSignature(content: Buffer): boolean {
  try {
    return classifySignatureManifest(JSON.parse(content.toString('utf8'))).kind !== 'not-a-signature';
  } catch {
    return false;
  }
}

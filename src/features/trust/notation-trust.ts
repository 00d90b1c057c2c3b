import type { X509Certificate } from 'node:crypto';
import type { TrustKey } from '../../metadata/trust-store.js';
import { parseTrustPolicy, type TrustPolicyDocument, type TrustStores } from '../../signatures/notation-trust-policy.js';
import { parseTrustAnchors } from '../../signatures/x509-chain.js';

/** A project's notation trust as verification uses it: its trust policy, scoped to Berth's names, and its trust stores. */
export interface NotationTrust {
  readonly policy: TrustPolicyDocument;
  readonly stores: TrustStores;
}

/** The store types a notation trust policy names, and so the prefixes of notation store names (`ca:acme`). */
const storeTypes = ['ca', 'signingAuthority', 'tsa'] as const;

/** A notation trust store's name as policies write it, `TYPE:NAME`, or why it is not one. */
export function checkNotationStoreName(name: string): string | undefined {
  const [type, store, ...rest] = name.split(':');
  if (rest.length > 0 || store === undefined || !(storeTypes as readonly string[]).includes(type!) || !/^[A-Za-z0-9_.-]+$/.test(store)) {
    return `a notation trust store is named TYPE:NAME as trust policies name it, TYPE one of ${storeTypes.join(', ')} and NAME letters, digits, '.', '_' or '-' (e.g. ca:acme-rootcerts); "${name.slice(0, 80)}" is not`;
  }
  return undefined;
}

/**
 * Checks a notation trust policy document for a project: valid as the Notary Project defines it, and scoped to the
 * project's own repositories (`*`, or `[registry/]project/repository`). Answers every problem at once.
 */
export function checkNotationPolicy(document: unknown, project: string): { ok: true; policy: TrustPolicyDocument } | { ok: false; errors: string[] } {
  const parsed = parseTrustPolicy(document);
  if (!parsed.ok) return parsed;
  const errors: string[] = [];
  for (const statement of parsed.policy.statements) {
    for (const scope of statement.registryScopes) {
      if (scope === '*') continue;
      const repository = berthRepository(scope);
      if (!repository.startsWith(`${project}/`)) {
        errors.push(`trust policy "${statement.name}": registry scope "${scope}" is not a repository of project ${project} (write ${project}/REPOSITORY, with or without the registry's host, or *)`);
      }
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policy: scopedToBerth(parsed.policy) };
}

/** The project's notation trust from its stored policy document and keys, or undefined when it has no policy. */
export function notationTrustOf(document: unknown, project: string, keys: readonly TrustKey[]): NotationTrust | undefined {
  if (document === null || document === undefined) return undefined;
  const checked = checkNotationPolicy(document, project);
  // What the API took was checked then; a document that no longer passes (a rule tightened since) checks nothing.
  if (!checked.ok) return undefined;
  const stores = new Map<string, readonly X509Certificate[]>();
  for (const key of keys) {
    if (key.kind !== 'notation-store') continue;
    const certificates = parseTrustAnchors(key.pem);
    if (certificates.ok) stores.set(key.name, certificates.value);
  }
  return { policy: checked.policy, stores };
}

/**
 * Scopes name `registry/namespace/repository`; Berth is reached under names it cannot know (a load balancer's, a
 * mirror's), so a scope's leading host is dropped and statements select by the repository's name in Berth.
 */
function scopedToBerth(policy: TrustPolicyDocument): TrustPolicyDocument {
  return { statements: policy.statements.map((statement) => ({ ...statement, registryScopes: statement.registryScopes.map((scope) => (scope === '*' ? scope : berthRepository(scope))) })) };
}

/** A scope without its registry host: the first segment is a host when it has a dot or a port, or is localhost. */
function berthRepository(scope: string): string {
  const slash = scope.indexOf('/');
  if (slash < 0) return scope;
  const first = scope.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? scope.slice(slash + 1) : scope;
}

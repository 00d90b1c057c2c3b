import type { X509Certificate } from 'node:crypto';
import type { DnAttribute } from './certificate-facts.js';
import { dnContains, parseDistinguishedName } from './distinguished-names.js';
import { isRecord } from './encodings.js';

/**
 * The Notary Project trust policy (`trustpolicy.oci.json`, version 1.0): which statement applies to a repository,
 * what each verification level enforces or logs, which trust stores anchor it and which signers it trusts. Parsing
 * validates the whole document and answers every problem, so a bad policy is refused when it is set, not at pull.
 */
export type VerificationLevel = 'strict' | 'permissive' | 'audit' | 'skip';
export type CheckAction = 'enforce' | 'log' | 'skip';
export type VerificationCheck = 'integrity' | 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';
export type TrustStoreType = 'ca' | 'signingAuthority' | 'tsa';

export interface TrustPolicyStatement {
  readonly name: string;
  readonly registryScopes: readonly string[];
  readonly level: VerificationLevel;
  readonly actions: Readonly<Record<VerificationCheck, CheckAction>>;
  readonly verifyTimestamp: 'always' | 'afterCertExpiry';
  readonly trustStores: readonly { readonly type: TrustStoreType; readonly name: string }[];
  /** Empty for `*` (any signer the trust stores vouch for); else subject DNs, each a subset the signer's must contain. */
  readonly trustedIdentities: readonly (readonly DnAttribute[])[];
  readonly anyIdentity: boolean;
}

export interface TrustPolicyDocument {
  readonly statements: readonly TrustPolicyStatement[];
}

/** Named sets of trusted certificates, keyed `type:name` as policies name them (`ca:acme`). */
export type TrustStores = ReadonlyMap<string, readonly X509Certificate[]>;

const levelActions: Record<VerificationLevel, Record<VerificationCheck, CheckAction>> = {
  strict: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' },
  permissive: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  audit: { integrity: 'enforce', authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  skip: { integrity: 'skip', authenticity: 'skip', authenticTimestamp: 'skip', expiry: 'skip', revocation: 'skip' },
};
/** What `override` may set each check to; integrity cannot be overridden. */
const overridable: Record<string, readonly CheckAction[]> = {
  authenticity: ['enforce', 'log'], authenticTimestamp: ['enforce', 'log'], expiry: ['enforce', 'log'], revocation: ['enforce', 'log', 'skip'],
};
const identityPrefix = 'x509.subject:';
const requiredIdentityAttributes = ['C', 'ST', 'O'];

export function parseTrustPolicy(json: unknown): { ok: true; policy: TrustPolicyDocument } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  if (!isRecord(json)) return { ok: false, errors: ['the trust policy is not a JSON object'] };
  if (json.version !== '1.0') errors.push(`version ${JSON.stringify(json.version)} is not supported (1.0 is)`);
  const entries = json.trustPolicies;
  if (!Array.isArray(entries) || entries.length === 0) return { ok: false, errors: [...errors, 'trustPolicies must be a non-empty array'] };
  const statements = entries.map((entry, index) => parseStatement(entry, index, errors));
  const names = new Set<string>();
  const scopes = new Map<string, string>();
  for (const statement of statements) {
    if (statement === undefined) continue;
    if (names.has(statement.name)) errors.push(`two trust policies are named "${statement.name}"`);
    names.add(statement.name);
    for (const scope of statement.registryScopes) {
      const other = scopes.get(scope);
      if (other !== undefined) errors.push(`registry scope "${scope}" is in both "${other}" and "${statement.name}"`);
      scopes.set(scope, statement.name);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, policy: { statements: statements as TrustPolicyStatement[] } };
}

function parseStatement(entry: unknown, index: number, errors: string[]): TrustPolicyStatement | undefined {
  if (!isRecord(entry)) {
    errors.push(`trust policy ${index + 1} is not an object`);
    return undefined;
  }
  const name = typeof entry.name === 'string' && entry.name.trim() !== '' ? entry.name : `#${index + 1}`;
  const problem = (text: string): void => void errors.push(`trust policy "${name}": ${text}`);
  if (name.startsWith('#')) problem('has no name');
  const registryScopes = stringList(entry.registryScopes);
  if (registryScopes === undefined || registryScopes.length === 0) problem('registryScopes must list at least one repository or "*"');
  for (const scope of registryScopes ?? []) {
    if (scope === '*' ? registryScopes!.length > 1 : !/^[^\s*@/]+(\/[^\s*@/:]+)+$/.test(scope)) {
      problem(scope === '*' ? '"*" must be the only registry scope of its policy' : `registry scope "${scope}" is not a fully qualified repository (registry/namespace/repository, no tag or digest)`);
    }
  }
  const verification = isRecord(entry.signatureVerification) ? entry.signatureVerification : undefined;
  const level = verification?.level;
  if (level !== 'strict' && level !== 'permissive' && level !== 'audit' && level !== 'skip') {
    problem(`signatureVerification.level ${JSON.stringify(level)} is not strict, permissive, audit or skip`);
    return undefined;
  }
  const actions = { ...levelActions[level] };
  const override = verification?.override;
  if (override !== undefined) {
    if (level === 'skip') problem('a skip level cannot be overridden');
    else if (!isRecord(override)) problem('signatureVerification.override must be an object');
    else {
      for (const [check, action] of Object.entries(override)) {
        const allowed = overridable[check];
        if (allowed === undefined) problem(`override of "${check}" is not allowed (authenticity, authenticTimestamp, expiry, revocation are)`);
        else if (!allowed.includes(action as CheckAction)) problem(`override ${check}: ${JSON.stringify(action)} is not one of ${allowed.join(', ')}`);
        else actions[check as VerificationCheck] = action as CheckAction;
      }
    }
  }
  const verifyTimestamp = verification?.verifyTimestamp ?? 'always';
  if (verifyTimestamp !== 'always' && verifyTimestamp !== 'afterCertExpiry') problem(`verifyTimestamp ${JSON.stringify(verifyTimestamp)} is not always or afterCertExpiry`);
  const stores = stringList(entry.trustStores ?? []);
  const identities = stringList(entry.trustedIdentities ?? []);
  if (stores === undefined) problem('trustStores must be an array of strings');
  if (identities === undefined) problem('trustedIdentities must be an array of strings');
  if (level === 'skip') {
    if (registryScopes?.includes('*')) problem('skip cannot be used with the global scope "*"');
    if ((stores ?? []).length > 0 || (identities ?? []).length > 0) problem('a skip policy must not name trustStores or trustedIdentities');
  } else {
    if ((stores ?? []).length === 0) problem('trustStores must name at least one trust store');
    if ((identities ?? []).length === 0) problem('trustedIdentities must list at least one identity, or "*"');
  }
  const trustStores = parseTrustStores(stores ?? [], problem);
  const parsedIdentities = parseIdentities(identities ?? [], problem);
  return {
    name, registryScopes: registryScopes ?? [], level, actions, verifyTimestamp: verifyTimestamp as TrustPolicyStatement['verifyTimestamp'],
    trustStores, trustedIdentities: parsedIdentities, anyIdentity: (identities ?? []).includes('*'),
  };
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}

function parseTrustStores(stores: readonly string[], problem: (text: string) => void): TrustPolicyStatement['trustStores'] {
  const parsed: { type: TrustStoreType; name: string }[] = [];
  for (const store of new Set(stores)) {
    const match = /^(ca|signingAuthority|tsa):([A-Za-z0-9_.-]+)$/.exec(store);
    if (match === null) problem(`trust store "${store}" is not ca:NAME, signingAuthority:NAME or tsa:NAME`);
    else parsed.push({ type: match[1] as TrustStoreType, name: match[2]! });
  }
  if (stores.length !== new Set(stores).size) problem('a trust store is listed twice');
  return parsed;
}

function parseIdentities(identities: readonly string[], problem: (text: string) => void): DnAttribute[][] {
  if (identities.includes('*')) {
    if (identities.length > 1) problem('"*" must be the only trusted identity of its policy');
    return [];
  }
  const parsed: DnAttribute[][] = [];
  for (const identity of identities) {
    if (!identity.startsWith(identityPrefix)) {
      problem(`trusted identity "${identity}" does not start with "${identityPrefix}"`);
      continue;
    }
    const attributes = parseDistinguishedName(identity.slice(identityPrefix.length));
    if (typeof attributes === 'string') {
      problem(`trusted identity "${identity}": ${attributes}`);
      continue;
    }
    const types = attributes.map((attribute) => attribute.type);
    const missing = requiredIdentityAttributes.filter((type) => !types.includes(type));
    if (missing.length > 0) problem(`trusted identity "${identity}" lacks ${missing.join(', ')} (C, ST and O are required)`);
    else if (new Set(types).size !== types.length) problem(`trusted identity "${identity}" names an attribute twice`);
    else parsed.push(attributes);
  }
  // Overlapping identities (one a subset of another) make the policy ambiguous; the specification calls them invalid.
  for (const [index, one] of parsed.entries()) {
    for (const other of parsed.slice(index + 1)) {
      if (dnContains(one, other) || dnContains(other, one)) problem('trusted identities overlap (one is a subset of another)');
    }
  }
  return parsed;
}

/** The statement for a repository (`registry/namespace/repository`): an exact scope wins, else the global `*`, else none. */
export function selectTrustPolicy(policy: TrustPolicyDocument, repository: string): TrustPolicyStatement | undefined {
  return policy.statements.find((statement) => statement.registryScopes.includes(repository))
    ?? policy.statements.find((statement) => statement.registryScopes.includes('*'));
}

/** Whether the statement trusts a signing certificate with this subject. */
export function identityTrusted(statement: TrustPolicyStatement, subject: readonly DnAttribute[]): boolean {
  return statement.anyIdentity || statement.trustedIdentities.some((identity) => dnContains(subject, identity));
}

/** The certificates of the statement's trust stores of one type, with the names of any store that is not configured. */
export function trustAnchors(statement: TrustPolicyStatement, stores: TrustStores, type: TrustStoreType): { anchors: X509Certificate[]; missing: string[] } {
  const anchors: X509Certificate[] = [];
  const missing: string[] = [];
  for (const store of statement.trustStores.filter((entry) => entry.type === type)) {
    const certificates = stores.get(`${store.type}:${store.name}`);
    if (certificates === undefined) missing.push(`${store.type}:${store.name}`);
    else anchors.push(...certificates);
  }
  return { anchors, missing };
}

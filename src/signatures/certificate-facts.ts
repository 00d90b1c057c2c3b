import { type DerNode, derChildren, derString, derTags, expectTag, oidText, parseDer } from './der.js';

/**
 * What the signature checks need to know of a certificate beyond what Node's X509Certificate says: its signature
 * algorithm (no SHA-1), keyUsage bits and basicConstraints with their criticality, the extended key usages, the
 * subject as attribute/value pairs (for notation's trustedIdentities), e-mail and URI subject alternative names
 * and the Fulcio issuer (for cosign identities), and whether it names revocation services.
 */
export interface CertificateFacts {
  readonly signatureAlgorithm: string;
  /** The subject's attributes in order, by short name (C, ST, O, …) or dotted OID when it has none. */
  readonly subject: readonly DnAttribute[];
  readonly extensions: ReadonlyMap<string, { readonly critical: boolean; readonly value: Uint8Array }>;
  readonly keyUsage?: { readonly critical: boolean; readonly usages: ReadonlySet<KeyUsage> };
  readonly basicConstraints?: { readonly critical: boolean; readonly ca: boolean; readonly pathLength?: number };
  readonly extendedKeyUsage?: readonly string[];
  readonly emails: readonly string[];
  readonly uris: readonly string[];
  /** The OIDC issuer Fulcio wrote into a keyless certificate (extension 1.3.6.1.4.1.57264.1.8, or the older .1.1). */
  readonly oidcIssuer?: string;
  /** It names an OCSP responder or CRL distribution point, so its revocation status could be asked. */
  readonly namesRevocationService: boolean;
}

export interface DnAttribute {
  readonly type: string;
  readonly value: string;
}

export type KeyUsage = (typeof keyUsageBits)[number];
const keyUsageBits = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement',
  'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'] as const;

export const extensionOids = {
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  fulcioIssuerV1: '1.3.6.1.4.1.57264.1.1',
  fulcioIssuerV2: '1.3.6.1.4.1.57264.1.8',
} as const;

export const ekuOids = {
  any: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

/** Names Go's pkix.Name (and so notation's DN matching) gives subject attributes. */
const attributeNames: Record<string, string> = {
  '2.5.4.6': 'C', '2.5.4.8': 'ST', '2.5.4.7': 'L', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER', '2.5.4.9': 'STREET', '2.5.4.17': 'POSTALCODE',
};

/** Reads the facts of a DER certificate; throws DerError on bytes that are not one. */
export function certificateFacts(der: Uint8Array): CertificateFacts {
  const [tbs, algorithm] = derChildren(expectTag(parseDer(der), derTags.sequence, 'a certificate'));
  const tbsFields = derChildren(expectTag(tbs, derTags.sequence, 'the to-be-signed certificate'));
  const offset = tbsFields[0]?.tag === 0xa0 ? 1 : 0; // the explicit [0] version is absent in v1 certificates
  const subject = readName(expectTag(tbsFields[offset + 4], derTags.sequence, 'the subject'));
  const extensions = new Map<string, { critical: boolean; value: Uint8Array }>();
  const extensionsField = tbsFields.find((field) => field.tag === 0xa3);
  if (extensionsField !== undefined) {
    for (const extension of derChildren(expectTag(derChildren(extensionsField)[0], derTags.sequence, 'extensions'))) {
      const parts = derChildren(extension);
      const oid = oidText(parts[0]!);
      const critical = parts[1]?.tag === derTags.boolean && parts[1].content[0] !== 0;
      const value = expectTag(parts[parts.length - 1], derTags.octetString, 'an extension value').content;
      extensions.set(oid, { critical, value });
    }
  }
  const names = subjectAltNames(extensions.get(extensionOids.subjectAltName)?.value);
  return {
    signatureAlgorithm: signatureAlgorithmName(expectTag(algorithm, derTags.sequence, 'the signature algorithm')),
    subject,
    extensions,
    keyUsage: readKeyUsage(extensions.get(extensionOids.keyUsage)),
    basicConstraints: readBasicConstraints(extensions.get(extensionOids.basicConstraints)),
    extendedKeyUsage: readExtendedKeyUsage(extensions.get(extensionOids.extendedKeyUsage)?.value),
    emails: names.emails,
    uris: names.uris,
    oidcIssuer: readOidcIssuer(extensions),
    namesRevocationService: extensions.has(extensionOids.crlDistributionPoints) || namesOcsp(extensions.get(extensionOids.authorityInfoAccess)?.value),
  };
}

function readName(name: DerNode): DnAttribute[] {
  const attributes: DnAttribute[] = [];
  for (const rdn of derChildren(name)) {
    for (const pair of derChildren(rdn)) {
      const [type, value] = derChildren(pair);
      const oid = oidText(type!);
      attributes.push({ type: attributeNames[oid] ?? oid, value: value === undefined ? '' : derString(value) });
    }
  }
  return attributes;
}

/** The algorithm OID, with RSASSA-PSS named by its hash (its default hash is SHA-1, so the parameters matter). */
function signatureAlgorithmName(algorithm: DerNode): string {
  const [oid, parameters] = derChildren(algorithm);
  const name = oidText(oid!);
  if (name !== '1.2.840.113549.1.1.10') return name;
  const hashField = parameters === undefined ? undefined : derChildren(parameters).find((field) => field.tag === 0xa0);
  const hash = hashField === undefined ? '1.3.14.3.2.26' : oidText(derChildren(derChildren(hashField)[0]!)[0]!);
  return `${name}/${hash}`;
}

function readKeyUsage(extension: { critical: boolean; value: Uint8Array } | undefined): CertificateFacts['keyUsage'] {
  if (extension === undefined) return undefined;
  const bits = expectTag(parseDer(extension.value), derTags.bitString, 'keyUsage bits').content;
  const usages = new Set<KeyUsage>();
  keyUsageBits.forEach((usage, index) => {
    const byte = bits[1 + Math.floor(index / 8)];
    if (byte !== undefined && (byte & (0x80 >> index % 8)) !== 0) usages.add(usage);
  });
  return { critical: extension.critical, usages };
}

function readBasicConstraints(extension: { critical: boolean; value: Uint8Array } | undefined): CertificateFacts['basicConstraints'] {
  if (extension === undefined) return undefined;
  const fields = derChildren(expectTag(parseDer(extension.value), derTags.sequence, 'basicConstraints'));
  const ca = fields[0]?.tag === derTags.boolean && fields[0].content[0] !== 0;
  const length = fields.find((field) => field.tag === derTags.integer);
  const pathLength = length === undefined || length.content.length > 4 ? undefined : length.content.reduce((sum, byte) => sum * 256 + byte, 0);
  return { critical: extension.critical, ca, pathLength };
}

function readExtendedKeyUsage(value: Uint8Array | undefined): string[] | undefined {
  return value === undefined ? undefined : derChildren(parseDer(value)).map(oidText);
}

function subjectAltNames(value: Uint8Array | undefined): { emails: string[]; uris: string[] } {
  const emails: string[] = [];
  const uris: string[] = [];
  for (const name of value === undefined ? [] : derChildren(parseDer(value))) {
    if (name.tag === 0x81) emails.push(derString(name)); // [1] rfc822Name
    if (name.tag === 0x86) uris.push(derString(name)); // [6] uniformResourceIdentifier
  }
  return { emails, uris };
}

function readOidcIssuer(extensions: CertificateFacts['extensions']): string | undefined {
  const current = extensions.get(extensionOids.fulcioIssuerV2)?.value;
  if (current !== undefined) return derString(parseDer(current));
  // The older extension holds the issuer's bytes as they are, not a DER string.
  const legacy = extensions.get(extensionOids.fulcioIssuerV1)?.value;
  return legacy === undefined ? undefined : new TextDecoder().decode(legacy);
}

function namesOcsp(value: Uint8Array | undefined): boolean {
  if (value === undefined) return false;
  return derChildren(parseDer(value)).some((access) => oidText(derChildren(access)[0]!) === '1.3.6.1.5.5.7.48.1');
}

/** The subject as notation and Go print it: `C=US, ST=WA, O=Notary, CN=alpine`. */
export function distinguishedName(attributes: readonly DnAttribute[]): string {
  return attributes.map((attribute) => `${attribute.type}=${attribute.value.replace(/([,;+\\])/g, '\\$1')}`).join(', ');
}

import { z } from 'zod';

/**
 * Login against an LDAP directory (OpenLDAP, 389 DS, Active Directory, ...). Berth binds as a service account,
 * finds the user's entry with `userFilter`, checks the password by binding as that entry, then reads the user's
 * groups with `groupFilter`. Nested under `auth.ldap` in Berth's configuration; importable on its own.
 *
 * Active Directory, for example:
 *   url: ldaps://dc1.corp.example.com
 *   bindDN: CN=berth,OU=Service Accounts,DC=corp,DC=example,DC=com
 *   userBaseDN: OU=Staff,DC=corp,DC=example,DC=com
 *   userFilter: (&(objectClass=user)(sAMAccountName={username}))
 *   usernameAttribute: sAMAccountName
 *   groupBaseDN: OU=Groups,DC=corp,DC=example,DC=com
 *   groupFilter: (&(objectClass=group)(member:1.2.840.113556.1.4.1941:={dn}))   # nested groups too
 */

/** ldapts takes scheme, host and port only: a path, query or credentials in the URL would be ignored silently. */
const urlPattern = /^ldaps?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\/?$/;

/** Parentheses balanced and the whole filter enclosed in one pair, as RFC 4515 writes a filter. */
function isEnclosedFilter(filter: string): boolean {
  if (!filter.startsWith('(') || !filter.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < filter.length; i++) {
    const char = filter[i];
    if (char === '\\') i += 2; // an escaped value byte (\28 is a literal "(")
    else if (char === '(') depth++;
    else if (char === ')' && --depth === 0 && i !== filter.length - 1) return false;
    if (depth < 0) return false;
  }
  return depth === 0;
}

const filterMessage = 'expected an LDAP filter in parentheses, for example (&(objectClass=inetOrgPerson)(uid={username}))';

export const ldapConfigSchema = z.object({
  /** ldaps:// for TLS from the first byte (port 636), or ldap:// (port 389), with startTLS to encrypt it. */
  url: z.string().regex(urlPattern, 'expected ldap://HOST[:PORT] or ldaps://HOST[:PORT], for example ldaps://ldap.example.com:636'),
  /** The service account Berth searches with. Its password must not be empty: an empty one is an anonymous bind. */
  bindDN: z.string().min(1, 'set the DN of the service account Berth searches with, for example cn=berth,ou=services,dc=example,dc=org'),
  bindPassword: z.string().min(1, 'set the service account\'s password (an empty password would bind anonymously)'),
  /** Where users are searched (the whole subtree). */
  userBaseDN: z.string().min(1, 'set where users are searched, for example ou=people,dc=example,dc=org'),
  /** `{username}` is replaced by the name typed at login, escaped. Active Directory: (sAMAccountName={username}). */
  userFilter: z.string()
    .refine(isEnclosedFilter, filterMessage)
    .refine((filter) => filter.includes('{username}'), 'the user filter must contain {username}, for example (uid={username})')
    .default('(&(objectClass=inetOrgPerson)(uid={username}))'),
  /**
   * The attribute holding the user name Berth records (sAMAccountName on Active Directory). Its value in the
   * directory, not the name as typed, is used, so ALICE and alice are one user.
   */
  usernameAttribute: z.string().min(1).default('uid'),
  emailAttribute: z.string().min(1).default('mail'),
  displayNameAttribute: z.string().min(1).default('cn'),
  /** Where groups are searched; unset, groups are not looked up. */
  groupBaseDN: z.string().min(1, 'set where groups are searched, or leave groupBaseDN out to skip groups').optional(),
  /** `{dn}` is replaced by the user's DN, `{username}` by the user name from the directory, both escaped. */
  groupFilter: z.string()
    .refine(isEnclosedFilter, 'expected an LDAP filter in parentheses, for example (&(objectClass=groupOfNames)(member={dn}))')
    .refine((filter) => filter.includes('{dn}') || filter.includes('{username}'),
      'the group filter must contain {dn} or {username}, for example (member={dn}) or (memberUid={username})')
    .default('(&(objectClass=groupOfNames)(member={dn}))'),
  groupNameAttribute: z.string().min(1).default('cn'),
  /** Upgrade an ldap:// connection to TLS before binding, so no password crosses the network in clear text. */
  startTLS: z.boolean().default(false),
  tls: z.object({
    /** PEM file of the CA(s) that signed the directory's certificate; unset, Node's built-in public CAs. */
    caFile: z.string().min(1).optional(),
    /** Refuse a certificate that does not verify. Turn off only to diagnose; anyone in the path could then listen. */
    rejectUnauthorized: z.boolean().default(true),
  }).strict().default({}),
  /** Limit for connecting and for each operation. */
  timeoutSeconds: z.number().positive().max(300).default(10),
}).strict()
  .refine((ldap) => !(ldap.startTLS && ldap.url.startsWith('ldaps:')), {
    message: 'startTLS is for ldap:// URLs; an ldaps:// connection is encrypted already: remove startTLS or use ldap://',
    path: ['startTLS'],
  })
  .refine((ldap) => ldap.tls.caFile === undefined || ldap.startTLS || ldap.url.startsWith('ldaps:'), {
    message: 'tls.caFile is set but the connection is not encrypted: use an ldaps:// URL or set startTLS: true',
    path: ['tls', 'caFile'],
  });

export type LdapConfig = z.infer<typeof ldapConfigSchema>;

import { readFile } from 'node:fs/promises';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Client, ResultCodeError, type Entry } from 'ldapts';
import type { LdapConfig } from '../config/ldap-config.js';

/** A user the directory vouched for: the password was right, and these are its attributes and groups. */
export interface DirectoryUser {
  readonly dn: string;
  /** As the directory spells it (usernameAttribute), whatever case was typed at login. */
  readonly username: string;
  readonly email?: string;
  readonly displayName?: string;
  readonly groups: readonly { readonly dn: string; readonly name: string }[];
}

/**
 * The directory could not decide a login: unreachable, TLS failed, the service account was refused, or a search
 * failed. Not a wrong password (that is `undefined`); the message is for the operator and names what to check.
 */
export class DirectoryUnavailableError extends Error {
  override readonly name = 'DirectoryUnavailableError';
  constructor(readonly url: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Longer names are refused unsent: no directory holds them, and they would only make the filter large. */
const maxUsernameLength = 256;

/**
 * Escapes a value for an LDAP search filter (RFC 4515): the filter's special characters and every ASCII control
 * character become \xx, so a value is always one assertion value and never a wildcard or more filter syntax.
 *
 * Characters beyond ASCII stay as they are: RFC 4515 allows UTF-8 unescaped, and ldapts, which parses the filter
 * string again before encoding it, turns each \xx into one UTF-16 unit, so \c3\a9 would reach the server as "Ã©"
 * rather than "é".
 */
export function escapeFilterValue(value: string): string {
  let escaped = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === '*' || char === '(' || char === ')' || code < 0x20 || code === 0x7f) {
      escaped += `\\${code.toString(16).padStart(2, '0')}`;
    } else {
      escaped += char;
    }
  }
  return escaped;
}

/** Fills `{name}` placeholders in one pass, so a substituted value is never searched for placeholders itself. */
function fillFilter(template: string, values: Readonly<Record<string, string>>): string {
  // A replacer function, not a replacement string: in a string, "$'" or "$`" in a user name would paste parts
  // of the template into the filter.
  return template.replace(/\{(dn|username)\}/g, (placeholder, key: string) =>
    values[key] === undefined ? placeholder : escapeFilterValue(values[key]!));
}

/** Empty, too long or with control characters (C0, DEL, C1): refused before any network traffic. */
function isAcceptableUsername(username: string): boolean {
  return username.length > 0 && [...username].length <= maxUsernameLength && !/\p{Cc}/u.test(username);
}

/** An attribute's values, its name matched without case (servers answer "sAMAccountName" for "samaccountname"). */
function attributeValues(entry: Entry, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'dn' || key.toLowerCase() !== wanted) continue;
    for (const item of Array.isArray(value) ? value : [value]) values.push(Buffer.isBuffer(item) ? item.toString('utf8') : item);
  }
  return values;
}

/**
 * Result codes of a user's bind that mean "this login is refused" rather than "the directory is in trouble":
 * invalidCredentials (49, also locked or expired accounts on Active Directory and OpenLDAP's ppolicy),
 * inappropriateAuthentication (48), insufficientAccessRights (50, an ACL forbids binding as the entry) and
 * unwillingToPerform (53, for example a disabled account).
 */
const refusedBindCodes = new Set([48, 49, 50, 53]);

/** Errors from Node's TLS layer: certificate verification, handshake, protocol versions. */
function isTlsError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /CERT|SSL|TLS|SIGNATURE|ISSUER|HOSTNAME|ALTNAME/.test(code)) return true;
  return /certificate|handshake|tls|ssl/i.test((error as Error).message ?? '');
}

/** One line on what went wrong: Node's error code or ldapts's error name (its message is often just "Code: 0x20"). */
function detail(error: unknown): string {
  const { message, code, name } = error as { message?: string; code?: unknown; name?: string };
  const text = (message ?? String(error)).trim().split('\n')[0] ?? '';
  const label = typeof code === 'string' ? code : name !== undefined && name !== 'Error' ? name : undefined;
  return label !== undefined && !text.includes(label) ? `${label}: ${text}` : text || 'unknown error';
}

/**
 * Logs users in against an LDAP directory. Each call opens its own connections and closes them before it returns:
 * logins are rare next to registry traffic, and a connection kept open would have to be watched for the server
 * closing it.
 */
export class LdapDirectory {
  /** Connections of calls in progress, ended by close(). */
  private readonly open = new Set<Client>();

  constructor(private readonly config: LdapConfig) {}

  /**
   * The user for these credentials, or undefined when the name or password is wrong (or refused unsent).
   * Throws DirectoryUnavailableError when the directory cannot answer.
   */
  async authenticate(username: string, password: string): Promise<DirectoryUser | undefined> {
    // An empty password makes a simple bind "unauthenticated" (RFC 4513 5.1.2), which many servers answer with
    // success: it would let anyone in under any known name.
    if (password.length === 0 || !isAcceptableUsername(username)) return undefined;
    const service = await this.connect();
    try {
      await this.bindServiceAccount(service);
      const entry = await this.findUser(service, username);
      if (entry === undefined) return undefined;
      if (!(await this.passwordMatches(entry.dn, password))) return undefined;
      const canonical = this.usernameOf(entry, username);
      return {
        dn: entry.dn,
        username: canonical,
        email: attributeValues(entry, this.config.emailAttribute)[0],
        displayName: attributeValues(entry, this.config.displayNameAttribute)[0],
        groups: this.config.groupBaseDN === undefined ? [] : await this.findGroups(service, this.config.groupBaseDN, entry.dn, canonical),
      };
    } finally {
      await this.release(service);
    }
  }

  /** Ends the connections of calls still in progress (they fail with DirectoryUnavailableError). */
  async close(): Promise<void> {
    await Promise.all([...this.open].map((client) => this.release(client)));
  }

  /** A connection, encrypted by StartTLS when configured; a failure is DirectoryUnavailableError. */
  private async connect(): Promise<Client> {
    const { url, startTLS, timeoutSeconds } = this.config;
    const tlsOptions = await this.tlsOptions();
    const secure = url.startsWith('ldaps:');
    // Each client may open one connection. ldapts reconnects silently when a connection drops; after StartTLS
    // that new connection would be in clear text, and the next bind would send a password over it.
    let opened = false;
    const once = <T>(open: () => T): T => {
      if (opened) throw new Error('the connection was lost during the login');
      opened = true;
      return open();
    };
    const client = new Client({
      url,
      timeout: timeoutSeconds * 1000,
      connectTimeout: timeoutSeconds * 1000,
      // Only for ldaps://: ldapts speaks TLS from the first byte whenever tlsOptions are given, even to ldap://.
      ...(secure ? { tlsOptions } : {}),
      ...(secure
        ? { createSecureConnection: ((port: number, host: string, options: ConnectionOptions) => once(() => tlsConnect(port, host, options))) as typeof tlsConnect }
        : { createConnection: ((port: number, host: string) => once(() => netConnect(port, host))) as typeof netConnect }),
    });
    this.open.add(client);
    if (startTLS && !secure) {
      try {
        await client.startTLS(tlsOptions);
      } catch (error) {
        await this.release(client);
        if (error instanceof ResultCodeError) {
          throw new DirectoryUnavailableError(url, `LDAP server ${url} refused StartTLS (${detail(error)}): check that it has TLS configured, or use an ldaps:// URL`, { cause: error });
        }
        throw this.transportError(error);
      }
    }
    return client;
  }

  /**
   * Options for TLS, with the configured CA. The host is given explicitly: upgrading an existing socket,
   * Node would otherwise check the certificate against "localhost".
   */
  private async tlsOptions(): Promise<ConnectionOptions> {
    const { url, tls } = this.config;
    const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
    let ca: Buffer | undefined;
    if (tls.caFile !== undefined) {
      try {
        ca = await readFile(tls.caFile);
      } catch (error) {
        throw new DirectoryUnavailableError(url, `could not read auth.ldap.tls.caFile ${tls.caFile} (${detail(error)}): check the path and its permissions`, { cause: error });
      }
    }
    return {
      host,
      // SNI takes names only; Node warns when it is given an IP address.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ...(ca !== undefined ? { ca } : {}),
      rejectUnauthorized: tls.rejectUnauthorized,
      minVersion: 'TLSv1.2',
    };
  }

  private async release(client: Client): Promise<void> {
    if (!this.open.delete(client)) return;
    await client.unbind().catch(() => undefined);
  }

  private async bindServiceAccount(client: Client): Promise<void> {
    const { url, bindDN } = this.config;
    try {
      await client.bind(bindDN, this.config.bindPassword);
    } catch (error) {
      if (!(error instanceof ResultCodeError)) throw this.transportError(error);
      if (error.code === 49) {
        throw new DirectoryUnavailableError(url, `LDAP server ${url} refused the service account ${bindDN}: the bind DN or password is wrong; check auth.ldap.bindDN and auth.ldap.bindPassword`, { cause: error });
      }
      if (error.code === 13) {
        throw new DirectoryUnavailableError(url, `LDAP server ${url} requires an encrypted connection: use an ldaps:// URL or set auth.ldap.startTLS`, { cause: error });
      }
      throw new DirectoryUnavailableError(url, `LDAP server ${url} refused the service account ${bindDN} (${detail(error)}): check auth.ldap.bindDN and auth.ldap.bindPassword`, { cause: error });
    }
  }

  /** The one entry the user filter finds; none, or more than one (ambiguous), is no user. */
  private async findUser(client: Client, username: string): Promise<Entry | undefined> {
    const { userBaseDN, userFilter, usernameAttribute, emailAttribute, displayNameAttribute } = this.config;
    try {
      const { searchEntries } = await client.search(userBaseDN, {
        scope: 'sub',
        filter: fillFilter(userFilter, { username }),
        attributes: [usernameAttribute, emailAttribute, displayNameAttribute],
        // Two are enough to know the name is ambiguous.
        sizeLimit: 2,
        derefAliases: 'never',
      });
      return searchEntries.length === 1 ? searchEntries[0] : undefined;
    } catch (error) {
      throw this.searchError(error, 'users', userBaseDN, 'auth.ldap.userBaseDN and auth.ldap.userFilter');
    }
  }

  /** Binds as the user on a connection of its own, so the service connection keeps the service account's rights. */
  private async passwordMatches(dn: string, password: string): Promise<boolean> {
    const client = await this.connect();
    try {
      await client.bind(dn, password);
      return true;
    } catch (error) {
      if (error instanceof ResultCodeError && refusedBindCodes.has(error.code)) return false;
      if (error instanceof ResultCodeError) {
        throw new DirectoryUnavailableError(this.config.url, `LDAP server ${this.config.url} could not check a user's password (${detail(error)})`, { cause: error });
      }
      throw this.transportError(error);
    } finally {
      await this.release(client);
    }
  }

  /**
   * The directory's spelling of the name: of several values (uid may hold more than one), the one the user typed,
   * else the first, as when users log in with their e-mail address.
   */
  private usernameOf(entry: Entry, typed: string): string {
    const values = attributeValues(entry, this.config.usernameAttribute);
    const chosen = values.find((value) => value.toLowerCase() === typed.toLowerCase()) ?? values[0];
    if (chosen === undefined || chosen.length === 0) {
      throw new DirectoryUnavailableError(this.config.url, `user entry ${entry.dn} has no ${this.config.usernameAttribute} attribute: check auth.ldap.usernameAttribute (sAMAccountName on Active Directory)`);
    }
    return chosen;
  }

  /** Groups by name; one without a value for groupNameAttribute cannot be named, and is left out. */
  private async findGroups(client: Client, groupBaseDN: string, dn: string, username: string): Promise<DirectoryUser['groups']> {
    const { groupFilter, groupNameAttribute } = this.config;
    let entries: Entry[];
    try {
      ({ searchEntries: entries } = await client.search(groupBaseDN, {
        scope: 'sub',
        filter: fillFilter(groupFilter, { dn, username }),
        attributes: [groupNameAttribute],
        derefAliases: 'never',
      }));
    } catch (error) {
      throw this.searchError(error, 'groups', groupBaseDN, 'auth.ldap.groupBaseDN and auth.ldap.groupFilter');
    }
    const groups = entries.flatMap((entry) => {
      const name = attributeValues(entry, groupNameAttribute)[0];
      return name === undefined ? [] : [{ dn: entry.dn, name }];
    });
    return groups.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private searchError(error: unknown, what: string, baseDN: string, settings: string): DirectoryUnavailableError {
    if (!(error instanceof ResultCodeError)) return this.transportError(error);
    const { url } = this.config;
    return new DirectoryUnavailableError(url, `searching ${what} under ${baseDN} on LDAP server ${url} failed (${detail(error)}): check ${settings}`, { cause: error });
  }

  /** No LDAP answer at all: the connection failed, timed out or dropped, or TLS failed. */
  private transportError(error: unknown): DirectoryUnavailableError {
    const { url, timeoutSeconds } = this.config;
    if (isTlsError(error)) {
      return new DirectoryUnavailableError(url, `TLS with LDAP server ${url} failed (${detail(error)}): check that the server speaks TLS on that port, that auth.ldap.tls.caFile holds the CA that signed its certificate, and that the certificate names the host in auth.ldap.url`, { cause: error });
    }
    return new DirectoryUnavailableError(url, `could not reach LDAP server ${url} (${detail(error)}): check auth.ldap.url, that the server is running, and that this host may connect to it within ${timeoutSeconds}s`, { cause: error });
  }
}

/**
 * Drives oidc-provider's development login and consent pages (see oidc-provider.ts) with plain fetch, as a browser
 * would: follows the provider's redirects by hand, keeps its cookies, submits the forms. It stops at the redirect
 * back to the client and returns that URL unrequested, so the test hands it to the client under test the way
 * Berth's callback route would receive it.
 */

/** More steps than a login takes (authorize, login page, submit, resume, consent page, submit, resume). */
const maxSteps = 20;

/** Logs in as `username`, grants consent, and returns the client redirect carrying `code` and `state`. */
export function completeOidcLogin(authorizationUrl: string, username: string): Promise<string> {
  return drive(authorizationUrl, { kind: 'login', username });
}

/** Presses the login page's Cancel link, and returns the client redirect carrying `error=access_denied`. */
export function abortOidcLogin(authorizationUrl: string): Promise<string> {
  return drive(authorizationUrl, { kind: 'abort' });
}

type Intent = { kind: 'login'; username: string } | { kind: 'abort' };

async function drive(authorizationUrl: string, intent: Intent): Promise<string> {
  const start = new URL(authorizationUrl);
  const isClientRedirect = clientRedirectTest(start);
  const jar = new CookieJar();
  let request: { url: URL; form?: URLSearchParams } = { url: start };
  let loginsSubmitted = 0;

  for (let step = 0; step < maxSteps; step++) {
    const { url, form } = request;
    const headers: Record<string, string> = {};
    const cookie = jar.header(url);
    if (cookie !== '') headers.cookie = cookie;
    const response = await fetch(url, {
      method: form === undefined ? 'GET' : 'POST',
      headers,
      body: form,
      redirect: 'manual',
    });
    jar.store(url, response.headers.getSetCookie());

    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (isClientRedirect(next)) return next.href;
      request = { url: next };
      continue;
    }

    const body = await response.text();
    if (response.status !== 200) throw new Error(`OpenID provider answered ${response.status} at ${url.pathname}: ${body}`);
    const page = readPage(body, url);
    if (intent.kind === 'abort') {
      if (page.abortUrl === undefined) throw new Error(`no Cancel link on the provider's page at ${url.pathname}`);
      request = { url: page.abortUrl };
    } else if (page.prompt === 'login') {
      // A second login page for the same login would mean the provider did not take the first: stop, not loop.
      if (loginsSubmitted++ > 0) throw new Error(`OpenID provider asked to log in again after "${intent.username}" was submitted`);
      request = { url: page.action, form: new URLSearchParams({ ...page.fields, login: intent.username, password: 'any' }) };
    } else {
      request = { url: page.action, form: new URLSearchParams(page.fields) };
    }
  }
  throw new Error(`OpenID login did not come back to the client within ${maxSteps} steps`);
}

/**
 * Whether a redirect leaves the provider for the client: it goes to the request's redirect_uri (whatever its
 * host), or, when the request named none (the provider then uses the client's only one), off the provider's origin.
 */
function clientRedirectTest(authorizationUrl: URL): (location: URL) => boolean {
  const redirectUri = authorizationUrl.searchParams.get('redirect_uri');
  if (redirectUri === null) return (location) => location.origin !== authorizationUrl.origin;
  const expected = new URL(redirectUri);
  return (location) => location.origin === expected.origin && location.pathname === expected.pathname;
}

interface Page {
  prompt: string | undefined;
  action: URL;
  fields: Record<string, string>;
  abortUrl: URL | undefined;
}

/** Reads the one form of a dev interaction page (its action and hidden fields) and its Cancel link. */
function readPage(html: string, base: URL): Page {
  const form = /<form\b[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (form === null) throw new Error(`no form on the OpenID provider's page at ${base.pathname}: ${html.slice(0, 200)}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
    const tag = input[0];
    if (attribute(tag, 'type') !== 'hidden') continue;
    const name = attribute(tag, 'name');
    if (name !== undefined) fields[name] = attribute(tag, 'value') ?? '';
  }
  const abort = /<a\b[^>]*\bhref="([^"]*\/abort)"/i.exec(html);
  return {
    prompt: fields.prompt,
    action: new URL(decodeEntities(form[1]!), base),
    fields,
    abortUrl: abort === null ? undefined : new URL(decodeEntities(abort[1]!), base),
  };
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag);
  return match === null ? undefined : decodeEntities(match[1]!);
}

/** The escapes the provider's templates produce in attributes. */
function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27|#x2F|#47);/gi, (_, entity: string) => ({
    amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", '#x2f': '/', '#47': '/',
  } as Record<string, string>)[entity.toLowerCase()]!);
}

/**
 * Just enough of a browser's cookie store for one login at one host: name, value and path (the provider scopes
 * its interaction cookies to /interaction/<uid> and /auth/<uid>), and removal by an expiry in the past.
 */
class CookieJar {
  readonly #cookies = new Map<string, { name: string; value: string; path: string }>();

  store(url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const equals = pair.indexOf('=');
      if (equals <= 0) continue;
      const name = pair.slice(0, equals);
      const value = pair.slice(equals + 1);
      let path = defaultPath(url);
      let expired = false;
      for (const attribute of attributes) {
        const [key = '', ...rest] = attribute.split('=');
        const attributeValue = rest.join('=');
        switch (key.toLowerCase()) {
          case 'path': path = attributeValue.startsWith('/') ? attributeValue : defaultPath(url); break;
          case 'max-age': expired ||= Number(attributeValue) <= 0; break;
          case 'expires': expired ||= Date.parse(attributeValue) <= Date.now(); break;
        }
      }
      const key = `${name}\n${path}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.#cookies.values()]
      .filter((cookie) => pathMatches(url.pathname, cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }
}

/** RFC 6265 section 5.1.4: the request path up to its last '/'. */
function defaultPath(url: URL): string {
  const slash = url.pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : url.pathname.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

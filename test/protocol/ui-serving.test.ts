import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { handleError } from '../../src/http/error-handler.js';
import { registerUiRoutes } from '../../src/http/routes/ui-routes.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { rawGet } from '../support/image-builder.js';

const distUi = resolve(import.meta.dirname, '..', '..', 'dist', 'ui');
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
  + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function assertSecurityHeaders(headers: Headers, what: string): void {
  assert.equal(headers.get('content-security-policy'), csp, what);
  assert.equal(headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(headers.get('referrer-policy'), 'same-origin', what);
  assert.equal(headers.get('x-frame-options'), 'DENY', what);
}

/**
 * The web UI served by Berth itself from dist/ui (built by `npm run build`): index.html for browsers at / and at
 * every page under /ui/, hashed assets cached for good, gzip when asked, security headers on everything, and no
 * way from a URL to any other file.
 */
describe('serving the web UI', () => {
  let berth: InProcessBerth;
  let url: string;
  let script: string;
  let style: string;

  before(async () => {
    assert.ok(existsSync(join(distUi, 'index.html')), `the web UI is not built (${distUi}): run "npm run build" first`);
    const assets = readdirSync(join(distUi, 'assets'));
    script = assets.find((name) => name.endsWith('.js'))!;
    style = assets.find((name) => name.endsWith('.css'))!;
    assert.ok(script && style, `dist/ui/assets holds a script and a style sheet: ${assets}`);
    berth = await startInProcess({ auth: { adminPassword: 'admin-password-1' } });
    url = berth.url;
  });
  after(async () => { await berth.close(); });

  it('GET / for a browser answers index.html, not cached without revalidation, with the security headers', async () => {
    const response = await fetch(`${url}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assertSecurityHeaders(response.headers, 'index.html');
    const html = await response.text();
    assert.equal(html, readFileSync(join(distUi, 'index.html'), 'utf8'));
    assert.match(html, /<div id="root"><\/div>/);
    assert.match(html, new RegExp(`<script type="module" crossorigin src="/ui/assets/${script.replace('.', '\\.')}">`));
    assert.doesNotMatch(html, /<script>|<script type="module">[^<]/, 'no inline script: the policy would refuse it');
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  });

  it('GET / for anything but a browser keeps its JSON answer, that of any path no route takes', async () => {
    const unknown = await fetch(`${url}/no-such-endpoint`);
    const expected = (await unknown.json() as { errors: { code: string }[] }).errors[0]!.code;
    for (const accept of [undefined, 'application/json', '*/*']) {
      const response = await fetch(`${url}/`, { headers: accept === undefined ? {} : { accept } });
      assert.equal(response.status, unknown.status, String(accept));
      const error = (await response.json() as { errors: { code: string; message: string }[] }).errors[0]!;
      assert.equal(error.code, expected);
      assert.match(error.message, /no such endpoint: GET \//);
    }
  });

  it('every page under /ui/ answers index.html to a browser (the client-side router draws it), JSON 404 otherwise', async () => {
    const index = readFileSync(join(distUi, 'index.html'), 'utf8');
    for (const path of ['/ui', '/ui/', '/ui/projects', '/ui/projects/team/members', '/ui/repo/team/app', '/ui/artifact/team/app@sha256:00', '/ui/search?q=x']) {
      const response = await fetch(`${url}${path}`, { headers: { accept: 'text/html' } });
      assert.equal(response.status, 200, path);
      assert.equal(await response.text(), index, path);
      assertSecurityHeaders(response.headers, path);
    }
    assert.equal((await fetch(`${url}/ui/projects`, { headers: { accept: 'application/json' } })).status, 404);
  });

  it('assets are served with their type, cached for good, gzipped when accepted, with vary and the security headers', async () => {
    const bytes = readFileSync(join(distUi, 'assets', script));
    const plain = await rawGet(url, `/ui/assets/${script}`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(plain.headers.vary, 'accept-encoding');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.ok(plain.bodyBytes.equals(bytes), 'the file as built');
    assert.equal(plain.headers['content-security-policy'], csp);
    assert.equal(plain.headers['x-content-type-options'], 'nosniff');

    const gzipped = await rawGet(url, `/ui/assets/${script}`, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(gzipped.headers['content-encoding'], 'gzip');
    assert.ok(gunzipSync(gzipped.bodyBytes).equals(bytes), 'the same file, gzipped');
    assert.ok(gzipped.bodyBytes.length < bytes.length / 2);
    const refused = await rawGet(url, `/ui/assets/${script}`, { 'accept-encoding': 'gzip;q=0' });
    assert.equal(refused.headers['content-encoding'], undefined);

    const css = await fetch(`${url}/ui/assets/${style}`);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  });

  it('answers 304 to a request that already holds the file (If-None-Match)', async () => {
    const first = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
    const etag = first.headers.get('etag');
    assert.ok(etag);
    const again = await fetch(`${url}/`, { headers: { accept: 'text/html', 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assertSecurityHeaders(again.headers, '304');
  });

  it('serves no other file: unknown assets and traversal attempts are 404', async () => {
    for (const path of [
      '/ui/assets/missing.js', '/ui/assets/../../package.json', '/ui/assets/%2e%2e/%2e%2e/package.json',
      '/ui/assets/..%2f..%2fpackage.json', '/ui/assets/', '/ui/assets/%00', `/ui/assets/${script}/x`, '/ui/assets/index.html',
    ]) {
      const response = await rawGet(url, path, { accept: 'text/html' });
      assert.ok(response.status === 404 || response.status === 400, `${path}: ${response.status}`);
      assert.doesNotMatch(response.body, /"name": "berth"/, path);
    }
  });
});

describe('serving the web UI when it was not built', () => {
  const app = Fastify();
  before(async () => {
    app.setErrorHandler(handleError);
    registerUiRoutes(app, join(distUi, 'no-such-folder'));
    await app.ready();
  });
  after(async () => { await app.close(); });

  it('answers a browser 503 saying to run npm run build, and JSON clients UNAVAILABLE', async () => {
    const page = await app.inject({ url: '/', headers: { accept: 'text/html' } });
    assert.equal(page.statusCode, 503);
    assert.match(page.body, /npm run build/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    const json = await app.inject({ url: '/ui/projects', headers: { accept: 'text/html' } });
    assert.equal(json.statusCode, 503);
    const api = await app.inject({ url: '/', headers: { accept: 'application/json' } });
    assert.equal(api.statusCode, 404);
  });
});

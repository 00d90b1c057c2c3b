import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError } from '../../errors/registry-error.js';
import { packageRoot } from '../../package-root.js';
import { noSuchEndpoint } from '../client-errors.js';

/** One file of the built UI, held in memory with its gzip form (the whole UI is a few hundred kilobytes). */
interface UiFile {
  readonly body: Buffer;
  readonly gzipped: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
}

/**
 * What every UI response carries. The policy allows only this origin's own files: no inline script or style, so
 * text a pusher wrote (labels, annotations, tag names), should it ever reach the page as markup, runs nothing.
 */
export const uiSecurityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    + "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const assetPrefix = '/ui/assets/';

/**
 * The web UI (built by `npm run build` into dist/ui from ui/), served by every node from memory: read once at start,
 * so no request touches the disk and no path a client sends ever reaches the file system (only names in the map are
 * served). `GET /` for a browser (Accept: text/html) and every page under `/ui/` answer the app's index.html, whose
 * client-side router draws the page; `/ui/assets/` holds the hashed files, cached for good. Anything that does not ask
 * for HTML at `/` gets the answer it always had.
 */
export function registerUiRoutes(app: FastifyInstance, distDir = join(packageRoot(), 'dist', 'ui')): void {
  const { index, assets } = loadUi(distDir);

  const sendIndex = (request: FastifyRequest, reply: FastifyReply): void => {
    if (index === undefined) {
      sendMissingBuild(request, reply, distDir);
      return;
    }
    sendFile(request, reply, index, 'no-cache');
  };

  app.get('/', async (request, reply) => {
    if (!wantsHtml(request)) throw noSuchEndpoint(request);
    sendIndex(request, reply);
  });

  app.get('/ui', async (request, reply) => {
    if (!wantsHtml(request)) throw noSuchEndpoint(request);
    sendIndex(request, reply);
  });

  app.get('/ui/*', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (path.startsWith(assetPrefix)) {
      const asset = assets.get(path.slice(assetPrefix.length));
      if (asset === undefined) throw noSuchEndpoint(request);
      sendFile(request, reply, asset, 'public, max-age=31536000, immutable');
      return;
    }
    if (!wantsHtml(request)) throw noSuchEndpoint(request);
    sendIndex(request, reply);
  });
}

function loadUi(distDir: string): { index: UiFile | undefined; assets: Map<string, UiFile> } {
  const assets = new Map<string, UiFile>();
  const indexPath = join(distDir, 'index.html');
  if (!existsSync(indexPath)) return { index: undefined, assets };
  const assetDir = join(distDir, 'assets');
  if (existsSync(assetDir)) {
    for (const entry of readdirSync(assetDir, { withFileTypes: true })) {
      if (entry.isFile()) assets.set(entry.name, uiFile(readFileSync(join(assetDir, entry.name)), entry.name));
    }
  }
  return { index: uiFile(readFileSync(indexPath), 'index.html'), assets };
}

function uiFile(body: Buffer, name: string): UiFile {
  const type = contentTypes[extname(name).toLowerCase()] ?? 'application/octet-stream';
  // Images other than SVG are compressed already.
  const compressible = /^(text\/|application\/json|image\/svg)/.test(type);
  const gzipped = compressible ? gzipSync(body, { level: 9 }) : undefined;
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, gzipped: gzipped !== undefined && gzipped.length < body.length ? gzipped : undefined, type, etag };
}

function sendFile(request: FastifyRequest, reply: FastifyReply, file: UiFile, cacheControl: string): void {
  reply.headers(uiSecurityHeaders).header('cache-control', cacheControl).header('etag', file.etag).header('vary', 'accept-encoding');
  if (request.headers['if-none-match'] === file.etag) {
    reply.code(304).send();
    return;
  }
  reply.type(file.type);
  if (file.gzipped !== undefined && acceptsGzip(request.headers['accept-encoding'])) {
    reply.header('content-encoding', 'gzip').send(file.gzipped);
  } else {
    reply.send(file.body);
  }
}

/** The UI was not built: say so, and how to build it, to a browser as a page and to anything else as JSON. */
function sendMissingBuild(request: FastifyRequest, reply: FastifyReply, distDir: string): void {
  const message = `the web UI is not built (no ${join(distDir, 'index.html')}): run "npm run build" in Berth's folder, then restart Berth`;
  if (!wantsHtml(request)) throw new RegistryError('UNAVAILABLE', message);
  reply.code(503).headers(uiSecurityHeaders).header('cache-control', 'no-store').type('text/html; charset=utf-8')
    .send(`<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Berth: web UI not built</title></head>\n`
      + `<body><h1>The web UI is not built</h1><p>${escapeText(message)}</p></body>\n</html>\n`);
}

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').toLowerCase().includes('text/html');
}

/** gzip offered, and not refused with q=0. */
function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.toLowerCase().split(',').some((part) => {
    const [coding, ...parameters] = part.trim().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import type { BerthConfigInput } from '../../src/config/config-schema.js';
import { ApiClient, adminPassword } from '../support/api-client.js';
import { basic } from '../support/basic-auth.js';
import { launchBrowser } from '../support/browser.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

/**
 * What the browser tests of the web UI share: a Berth with access control on serving the built UI, a Chromium
 * page that records every error the browser reports, signing in through the UI's own form, and images pushed with
 * Basic credentials the way a client would.
 */

export { adminPassword };
const distIndex = resolve(import.meta.dirname, '..', '..', 'dist', 'ui', 'index.html');
/** Each browser step waits at most this long, so a page that never comes fails the step, not the whole file. */
export const stepTimeoutMs = 15_000;

export interface UiBerth {
  readonly url: string;
  readonly registry: InProcessBerth;
  /** /api/v1 as the system administrator. */
  readonly admin: ApiClient;
  close(): Promise<void>;
}

export async function startUiBerth(config: Partial<BerthConfigInput> = {}): Promise<UiBerth> {
  assert.ok(existsSync(distIndex), `the web UI is not built (no ${distIndex}): run "npm run build" first`);
  const registry = await startInProcess({ ...config, auth: { adminPassword, ...config.auth } });
  return {
    url: registry.url,
    registry,
    admin: new ApiClient(registry.url, { username: 'admin', password: adminPassword }),
    close: () => registry.close(),
  };
}

export interface BrowserPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors (a CSP refusal is one) and uncaught exceptions, as the browser reported them. */
  readonly errors: string[];
}

/** A fresh context (its own cookies and storage) and page, which may reach this machine only. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(stepTimeoutMs);
  context.setDefaultNavigationTimeout(stepTimeoutMs);
  await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient')));
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    // A 401 or 404 the UI asked for and handles (anonymous /api/v1/me, a list the user may not read) is not an error of the page.
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|403|404)/.test(message.text())) {
      errors.push(`${message.text()} (at ${message.location().url})`);
    }
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
  return { context, page, errors };
}

export { launchBrowser };

/** Signs in through the UI's own form, as a person does, and waits for the signed-in header. */
export async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/ui/sign-in`);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export interface ImageSpec {
  readonly labels?: Record<string, string>;
  readonly env?: string[];
  readonly entrypoint?: string[];
  readonly cmd?: string[];
  readonly author?: string;
  readonly created?: string;
  readonly annotations?: Record<string, string>;
  readonly os?: string;
  readonly architecture?: string;
  readonly variant?: string;
  /** Sizes of the layers to make (random bytes). */
  readonly layers?: readonly number[];
}

export interface Pushed {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

/** Pushes blobs and a manifest with Basic credentials (the registry takes them on /v2/ as docker's token flow would). */
export class Pusher {
  constructor(readonly url: string, readonly username: string, readonly password: string) {}

  async blob(repository: string, bytes: Buffer): Promise<string> {
    const digest = sha256(bytes);
    const response = await fetch(`${this.url}/v2/${repository}/blobs/uploads/?digest=${digest}`, {
      method: 'POST', headers: { authorization: basic(this.username, this.password), 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes),
    });
    assert.equal(response.status, 201, `blob push to ${repository}: ${response.status} ${await response.text()}`);
    return digest;
  }

  async manifest(repository: string, reference: string, manifest: Record<string, unknown>): Promise<Pushed> {
    const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
    const mediaType = manifest.mediaType as string;
    const response = await fetch(`${this.url}/v2/${repository}/manifests/${reference}`, {
      method: 'PUT', headers: { authorization: basic(this.username, this.password), 'content-type': mediaType }, body: new Uint8Array(bytes),
    });
    assert.equal(response.status, 201, `manifest push to ${repository}:${reference}: ${response.status} ${await response.text()}`);
    return { digest: sha256(bytes), size: bytes.length, mediaType };
  }

  /** An image with the config the spec gives (labels, env, entrypoint…), under `tag`. */
  async image(repository: string, tag: string, spec: ImageSpec = {}): Promise<Pushed> {
    return this.manifest(repository, tag, (await this.imageManifest(repository, spec)).manifest);
  }

  /** A multi-platform index under `tag`, each platform an image pushed by digest first. */
  async index(repository: string, tag: string, platforms: readonly ImageSpec[]): Promise<Pushed & { children: Pushed[] }> {
    const children: Pushed[] = [];
    for (const spec of platforms) {
      const { digest, manifest } = await this.imageManifest(repository, spec);
      children.push(await this.manifest(repository, digest, manifest));
    }
    const pushed = await this.manifest(repository, tag, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: children.map((child, index) => {
        const spec = platforms[index]!;
        return {
          mediaType: child.mediaType, digest: child.digest, size: child.size,
          platform: { os: spec.os ?? 'linux', architecture: spec.architecture ?? 'amd64', ...(spec.variant && { variant: spec.variant }) },
        };
      }),
    });
    return { ...pushed, children };
  }

  /** The manifest of an image (its blobs pushed), and the digest it will have. */
  async imageManifest(repository: string, spec: ImageSpec): Promise<{ digest: string; manifest: Record<string, unknown> }> {
    const layers = await Promise.all((spec.layers ?? [2048]).map(async (size) => {
      const bytes = randomBytes(size);
      return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await this.blob(repository, bytes), size };
    }));
    const created = spec.created ?? new Date().toISOString();
    const config = Buffer.from(JSON.stringify({
      created,
      ...(spec.author && { author: spec.author }),
      architecture: spec.architecture ?? 'amd64',
      os: spec.os ?? 'linux',
      ...(spec.variant && { variant: spec.variant }),
      config: {
        Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        ...(spec.entrypoint && { Entrypoint: spec.entrypoint }),
        Cmd: spec.cmd ?? ['/bin/app'],
        Labels: spec.labels ?? {},
        WorkingDir: '/srv',
      },
      rootfs: { type: 'layers', diff_ids: layers.map(() => sha256(randomBytes(8))) },
      history: layers.map((_, index) => ({ created, created_by: `/bin/sh -c make step-${index + 1}` })),
    }));
    const configDigest = await this.blob(repository, config);
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers,
      ...(spec.annotations && { annotations: spec.annotations }),
    };
    return { digest: sha256(Buffer.from(JSON.stringify(manifest, null, 2))), manifest };
  }

  /** An artifact (empty config, one blob) whose subject is `subject`: a signature, an SBOM or an attestation. */
  async referrer(repository: string, subject: Pushed, artifactType: string, annotations: Record<string, string> = {}): Promise<Pushed> {
    const empty = Buffer.from('{}');
    await this.blob(repository, empty);
    const payload = randomBytes(256);
    const payloadDigest = await this.blob(repository, payload);
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
      layers: [{ mediaType: 'application/octet-stream', digest: payloadDigest, size: payload.length }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations,
    };
    const digest = sha256(Buffer.from(JSON.stringify(manifest, null, 2)));
    return this.manifest(repository, digest, manifest);
  }

  /** Pulls a manifest by reference, as a client does (it counts as a pull). */
  async pull(repository: string, reference: string): Promise<void> {
    const response = await fetch(`${this.url}/v2/${repository}/manifests/${reference}`, {
      headers: {
        authorization: basic(this.username, this.password),
        accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json',
      },
    });
    await response.arrayBuffer();
    assert.equal(response.status, 200, `pull of ${repository}:${reference}`);
  }
}

/** The page has no horizontal scroll bar: nothing wider than the viewport. */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

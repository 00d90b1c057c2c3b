import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { LayerSource } from '../../src/scanning/layers/merged-walker.js';
import type { LayerFileSink } from '../../src/scanning/model.js';

/**
 * Image layers for the layer walker's tests, made the way image builders make them: a real file tree on disk,
 * archived by GNU tar and compressed by gzip or the zstd CLI. Whiteouts are ordinary empty files named `.wh.*`,
 * exactly as they travel inside a layer.
 */

export type TreeItem = string | { symlink: string } | { hardlink: string } | { dir: true };

export interface LayerOptions {
  /** GNU tar's --format: `pax` and `gnu` both carry names over 100 characters, each its own way. */
  format?: 'pax' | 'gnu' | 'ustar';
  compression?: 'none' | 'gzip' | 'zstd';
  /** Members in this order (as tar's arguments); by default `.` sorted by name, so every name starts with `./`. */
  members?: string[];
  /** Extra tar arguments, placed before the members (e.g. -P and --transform to write hostile names). */
  tarArgs?: string[];
}

export const mediaTypes = {
  tar: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export function hasTool(name: string): boolean {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A temporary folder for one test file's trees and layers; `remove` deletes it. */
export class LayerWorkspace {
  readonly root = mkdtempSync(join(tmpdir(), 'berth-layers-'));
  private count = 0;
  /** Every blob stream the sources opened, to check the walker closed them. */
  readonly opened: Readable[] = [];

  /** Writes `items` (path → content, symlink, hard link or empty directory) into a new tree; returns its folder. */
  tree(items: Record<string, TreeItem>): string {
    const folder = join(this.root, `tree-${++this.count}`);
    mkdirSync(folder);
    for (const [path, item] of Object.entries(items)) {
      const file = join(folder, path);
      mkdirSync(dirname(file), { recursive: true });
      if (typeof item === 'string') writeFileSync(file, item);
      else if ('symlink' in item) symlinkSync(item.symlink, file);
      else if ('hardlink' in item) linkSync(join(folder, item.hardlink), file);
      else mkdirSync(file, { recursive: true });
    }
    return folder;
  }

  /** Archives `folder` with GNU tar (and compresses it); returns the layer file's path. */
  layer(folder: string, options: LayerOptions = {}): string {
    const { format = 'pax', compression = 'none', members = ['.'], tarArgs = [] } = options;
    const tar = join(this.root, `layer-${++this.count}.tar`);
    const sorting = options.members === undefined ? ['--sort=name'] : [];
    execFileSync('tar', [`--format=${format}`, ...sorting, '--owner=0', '--group=0', '--numeric-owner', '-C', folder, '-cf', tar, ...tarArgs, ...members]);
    if (compression === 'none') return tar;
    execFileSync(compression, ['-q', tar]);
    return `${tar}.${compression === 'gzip' ? 'gz' : 'zst'}`;
  }

  /** Writes raw bytes as a layer file (for hostile layers made by cutting or editing real ones). */
  bytes(content: Buffer): string {
    const file = join(this.root, `raw-${++this.count}`);
    writeFileSync(file, content);
    return file;
  }

  /** A layer source reading `file` from disk, as a blob store would hand it over. */
  source(file: string, mediaType: string): LayerSource {
    return {
      mediaType,
      open: async () => {
        const stream = createReadStream(file);
        this.opened.push(stream);
        return stream;
      },
    };
  }

  /** Asserts every stream opened so far was closed (after the walker's promise settled). */
  async assertAllClosed(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    for (const stream of this.opened) assert.ok(stream.destroyed, 'the walker leaves no layer stream open');
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A sink that wants every regular file under 1 MiB and records what it was handed. */
export class RecordingSink implements LayerFileSink {
  readonly files = new Map<string, string>();
  readonly links = new Map<string, { target: string; hard: boolean }>();
  /** Every path `wants` was asked about, in order. */
  readonly offered: string[] = [];

  constructor(private readonly wanted: (path: string) => boolean = () => true) {}

  wants(path: string, size: number): boolean {
    this.offered.push(path);
    return size < 1024 * 1024 && this.wanted(path);
  }

  take(path: string, bytes: Buffer): void {
    assert.ok(!this.files.has(path), `take is called once per path: ${path}`);
    this.files.set(path, bytes.toString('utf8'));
  }

  link(path: string, target: string, hard: boolean): void {
    assert.ok(!this.links.has(path), `link is called once per path: ${path}`);
    this.links.set(path, { target, hard });
  }
}

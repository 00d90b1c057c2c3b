import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GiB, MiB, sha256 } from '../client/content.js';
import { imageManifest, type Descriptor } from '../client/images.js';
import { ociConfig, ociLayerGzip } from '../client/registry.js';
import { seededChoice } from '../client/seeded-random.js';
import { fileBody, TarGzWriter, word, type BodyKind, type LayerFile } from './scan-content.js';
import {
  alpineOsRelease, apkInstalled, alpinePackages, debianOsRelease, debianPackages, distInfoName, distrolessOsRelease, dpkgList,
  dpkgStanza, dpkgStatus, npmManifest, npmPackages, pypiPackages, pythonMetadata, type BenchPackage,
} from './scan-packages.js';

/**
 * The scan session's images, shaped like the common kinds of real ones: a Debian base with apt's additions, an
 * Alpine base with apk's, Node.js and Python on Debian with an application layer each, and a distroless base with
 * one large binary. Each layer has many small files and some large ones, and the package databases that give the
 * inventory collectors real work (dpkg's status and file lists, apk's installed, npm's package.json files, Python's
 * dist-info). `scale` multiplies file counts and sizes (1: about 140 MB of tar for Debian, 330 MB for Node.js);
 * `variant` gives other versions and other bytes, hence other digests.
 */

export type ImageKind = 'debian' | 'alpine' | 'node' | 'python' | 'distroless';
export const imageKinds: readonly ImageKind[] = ['debian', 'alpine', 'node', 'python', 'distroless'];

interface LayerSpec {
  /** Unique among all layers for its variant and scale: the cache file's name. */
  readonly name: string;
  write(writer: TarGzWriter, variant: number, scale: number): Promise<void>;
  /** gzip level (6, gzip's default, unless a layer is only there for its size). */
  readonly level?: number;
}

const exec = 0o755;
const plain = 0o644;

/** A size between `low` and `high` bytes, scaled, at least 1 byte; smaller sizes are likelier, as in real trees. */
function sizeOf(low: number, high: number, scale: number, seed: number, index: number): number {
  const a = seededChoice(1000, seed, 31, index) / 1000;
  const b = seededChoice(1000, seed, 32, index) / 1000;
  return Math.max(1, Math.round((low + (high - low) * a * b) * scale));
}

const count = (value: number, scale: number): number => Math.max(1, Math.round(value * scale));

/** `howMany` files under `folder` with made-up names, of sizes between `low` and `high`. */
async function manyFiles(writer: TarGzWriter, options: {
  folder: string; howMany: number; low: number; high: number; kind: BodyKind; mode?: number; suffix?: string; seed: number; scale: number;
}): Promise<string[]> {
  const { folder, howMany, low, high, kind, seed, scale } = options;
  const paths: string[] = [];
  let subfolder = '';
  for (let index = 0; index < howMany; index++) {
    // About 40 files a folder, as in /usr/share or a package's tree.
    if (index % 40 === 0) {
      subfolder = `${folder}/${word(index / 40 + seed, 41)}`;
      await writer.directory(subfolder);
    }
    const path = `${subfolder}/${word(index, 43 + (seed % 50))}${index}${options.suffix ?? ''}`;
    const size = sizeOf(low, high, scale, seed, index);
    await writer.file(path, options.mode ?? plain, fileBody(kind, size, seed * 7919 + index), size);
    paths.push(path);
  }
  return paths;
}

/** Files of each dpkg package (a library or a program, and its copyright), with dpkg's `info/<name>.list`. */
async function dpkgPackageFiles(writer: TarGzWriter, packages: readonly BenchPackage[], scale: number, seed: number): Promise<void> {
  for (const [index, pkg] of packages.entries()) {
    const isLibrary = pkg.name.startsWith('lib');
    const main = isLibrary ? `usr/lib/x86_64-linux-gnu/${pkg.name}.so.${1 + (index % 3)}` : `usr/bin/${pkg.name}`;
    const size = isLibrary ? sizeOf(20_000, 2_000_000, scale, seed, index) : sizeOf(10_000, 600_000, scale, seed, index);
    await writer.file(main, isLibrary ? plain : exec, fileBody('binary', size, seed + index), size);
    const copyright = `usr/share/doc/${pkg.name}/copyright`;
    const text = Buffer.from(`Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: ${pkg.name}\n\n`);
    await writer.file(copyright, plain, text);
    await writer.file(`var/lib/dpkg/info/${pkg.name}:amd64.list`, plain, Buffer.from(dpkgList([main, copyright])));
  }
}

const debianBase: LayerSpec = {
  name: 'debian-base',
  async write(writer, variant, scale) {
    const seed = 1000 + variant;
    for (const folder of ['etc', 'usr', 'usr/bin', 'usr/lib', 'usr/lib/x86_64-linux-gnu', 'usr/share', 'var', 'var/lib', 'var/lib/dpkg', 'var/lib/dpkg/info']) {
      await writer.directory(folder);
    }
    await writer.file('usr/lib/os-release', plain, Buffer.from(debianOsRelease));
    await writer.symlink('etc/os-release', '../usr/lib/os-release');
    await writer.file('etc/debian_version', plain, Buffer.from('12.4\n'));
    const packages = debianPackages(90, variant);
    await dpkgPackageFiles(writer, packages, scale, seed);
    await manyFiles(writer, { folder: 'usr/share/locale', howMany: count(1500, scale), low: 300, high: 12_000, kind: 'text', seed, scale });
    await writer.file('var/lib/dpkg/status', plain, Buffer.from(dpkgStatus(packages)));
  },
};

const debianApt: LayerSpec = {
  name: 'debian-apt',
  async write(writer, variant, scale) {
    const seed = 2000 + variant;
    const packages = debianPackages(150, variant);
    await dpkgPackageFiles(writer, packages.slice(90), scale, seed);
    await manyFiles(writer, { folder: 'usr/lib/x86_64-linux-gnu/bench', howMany: 8, low: 3 * MiB, high: 12 * MiB, kind: 'binary', seed, scale });
    await manyFiles(writer, { folder: 'usr/share/bench', howMany: count(800, scale), low: 300, high: 20_000, kind: 'text', seed, scale });
    // apt rewrites the whole status file: the merged view shows this one, the base's is superseded.
    await writer.file('var/lib/dpkg/status', plain, Buffer.from(dpkgStatus(packages)));
  },
};

/** An Alpine layer: its packages' files and apk's database listing them. */
async function alpineLayer(writer: TarGzWriter, packages: readonly BenchPackage[], all: readonly BenchPackage[], scale: number, seed: number): Promise<void> {
  const owned = new Map<string, string[]>();
  for (const [index, pkg] of packages.entries()) {
    const file = `usr/lib/lib${pkg.name}.so.${1 + (index % 3)}`;
    const size = sizeOf(10_000, 1_500_000, scale, seed, index);
    await writer.file(file, plain, fileBody('binary', size, seed + index), size);
    owned.set(pkg.name, [file]);
  }
  await writer.file('lib/apk/db/installed', plain, Buffer.from(apkInstalled(all.map((pkg) => ({ pkg, files: owned.get(pkg.name) ?? [] })))));
}

const alpineBase: LayerSpec = {
  name: 'alpine-base',
  async write(writer, variant, scale) {
    const seed = 3000 + variant;
    for (const folder of ['bin', 'etc', 'lib', 'lib/apk', 'lib/apk/db', 'usr', 'usr/lib', 'usr/share']) await writer.directory(folder);
    await writer.file('etc/os-release', plain, Buffer.from(alpineOsRelease));
    await writer.file('etc/alpine-release', plain, Buffer.from('3.19.1\n'));
    const busybox = sizeOf(800_000, 900_000, scale, seed, 0);
    await writer.file('bin/busybox', exec, fileBody('binary', busybox, seed), busybox);
    const packages = alpinePackages(18, variant);
    await alpineLayer(writer, packages, packages, scale, seed);
    await manyFiles(writer, { folder: 'usr/share/misc', howMany: count(400, scale), low: 200, high: 8_000, kind: 'text', seed, scale });
  },
};

const alpineApk: LayerSpec = {
  name: 'alpine-apk',
  async write(writer, variant, scale) {
    const seed = 4000 + variant;
    const packages = alpinePackages(45, variant);
    await alpineLayer(writer, packages.slice(18), packages, scale, seed);
    await manyFiles(writer, { folder: 'usr/lib/bench', howMany: 4, low: 2 * MiB, high: 6 * MiB, kind: 'binary', seed, scale });
    await manyFiles(writer, { folder: 'usr/share/bench', howMany: count(600, scale), low: 200, high: 16_000, kind: 'text', seed, scale });
  },
};

/** npm packages under `root` (a node_modules folder): package.json and a few modules each. */
async function nodeModules(writer: TarGzWriter, root: string, packages: readonly BenchPackage[], modules: number, scale: number, seed: number): Promise<void> {
  for (const [index, pkg] of packages.entries()) {
    const folder = `${root}/${pkg.name}`;
    await writer.file(`${folder}/package.json`, plain, Buffer.from(npmManifest(pkg)));
    for (let module = 0; module < count(modules, scale); module++) {
      const size = sizeOf(500, 24_000, scale, seed + index, module);
      await writer.file(`${folder}/${module === 0 ? 'index' : `lib/${word(module, 47)}`}.js`, plain, fileBody('text', size, seed * 31 + index * 17 + module), size);
    }
  }
}

const nodeRuntime: LayerSpec = {
  name: 'node-runtime',
  async write(writer, variant, scale) {
    const seed = 5000 + variant;
    const node = Math.round(90 * MiB * scale);
    await writer.file('usr/local/bin/node', exec, fileBody('binary', node, seed), node);
    await manyFiles(writer, { folder: 'usr/local/include/node', howMany: count(300, scale), low: 500, high: 40_000, kind: 'text', suffix: '.h', seed, scale });
    await nodeModules(writer, 'usr/local/lib/node_modules/npm/node_modules', npmPackages(180, variant, 23), 4, scale, seed);
  },
};

const nodeApp: LayerSpec = {
  name: 'node-app',
  async write(writer, variant, scale) {
    const seed = 6000 + variant;
    await writer.file('app/package.json', plain, Buffer.from(npmManifest({ name: `bench-app-${variant}`, version: '1.0.0' })));
    await nodeModules(writer, 'app/node_modules', npmPackages(350, variant), 8, scale, seed);
    await manyFiles(writer, { folder: 'app/assets', howMany: 4, low: 2 * MiB, high: 5 * MiB, kind: 'binary', seed, scale });
  },
};

/** Python distributions in `sitePackages`: dist-info (METADATA, RECORD) and a package folder of modules each. */
async function distributions(writer: TarGzWriter, sitePackages: string, packages: readonly BenchPackage[], modules: number, scale: number, seed: number): Promise<void> {
  for (const [index, pkg] of packages.entries()) {
    const info = `${sitePackages}/${distInfoName(pkg)}`;
    await writer.file(`${info}/METADATA`, plain, Buffer.from(pythonMetadata(pkg)));
    await writer.file(`${info}/WHEEL`, plain, Buffer.from('Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n'));
    const folder = `${sitePackages}/${pkg.name.toLowerCase().replace(/-/g, '_')}`;
    const records: string[] = [];
    for (let module = 0; module < count(modules, scale); module++) {
      const path = `${folder}/${module === 0 ? '__init__' : word(module, 53)}.py`;
      const size = sizeOf(300, 30_000, scale, seed + index, module);
      await writer.file(path, plain, fileBody('text', size, seed * 37 + index * 13 + module), size);
      records.push(`${path.slice(sitePackages.length + 1)},,`);
    }
    await writer.file(`${info}/RECORD`, plain, Buffer.from(`${records.join('\n')}\n`));
  }
}

const pythonRuntime: LayerSpec = {
  name: 'python-runtime',
  async write(writer, variant, scale) {
    const seed = 7000 + variant;
    const python = Math.round(6 * MiB * scale);
    await writer.file('usr/local/bin/python3.12', exec, fileBody('binary', python, seed), python);
    await manyFiles(writer, { folder: 'usr/local/lib/python3.12', howMany: count(2500, scale), low: 300, high: 30_000, kind: 'text', suffix: '.py', seed, scale });
    await manyFiles(writer, { folder: 'usr/local/lib/python3.12/lib-dynload', howMany: count(60, scale), low: 20_000, high: 600_000, kind: 'binary', suffix: '.so', seed, scale });
    const tools = [{ name: 'pip', version: '24.0' }, { name: 'setuptools', version: '65.5.0' }, { name: 'wheel', version: '0.42.0' }];
    await distributions(writer, 'usr/local/lib/python3.12/site-packages', tools, 150, scale, seed);
  },
};

const pythonApp: LayerSpec = {
  name: 'python-app',
  async write(writer, variant, scale) {
    const seed = 8000 + variant;
    const sitePackages = 'usr/local/lib/python3.12/site-packages';
    await distributions(writer, sitePackages, pypiPackages(60, variant), 20, scale, seed);
    await manyFiles(writer, { folder: `${sitePackages}/numbench/core`, howMany: 3, low: 20 * MiB, high: 35 * MiB, kind: 'binary', suffix: '.so', seed, scale });
  },
};

const distrolessBase: LayerSpec = {
  name: 'distroless-base',
  async write(writer, variant, scale) {
    const seed = 9000 + variant;
    await writer.file('etc/os-release', plain, Buffer.from(distrolessOsRelease));
    const packages = debianPackages(14, variant);
    for (const [index, pkg] of packages.entries()) {
      const library = `usr/lib/x86_64-linux-gnu/${pkg.name}.so.1`;
      const size = sizeOf(20_000, 2_000_000, scale, seed, index);
      await writer.file(library, plain, fileBody('binary', size, seed + index), size);
      await writer.file(`var/lib/dpkg/status.d/${pkg.name}`, plain, Buffer.from(`${dpkgStanza(pkg, false)}\n`));
      await writer.file(`var/lib/dpkg/status.d/${pkg.name}.md5sums`, plain, Buffer.from(`0123456789abcdef0123456789abcdef  ${library}\n`));
    }
    // tzdata's zone files: most of a distroless base's entries.
    await manyFiles(writer, { folder: 'usr/share/zoneinfo', howMany: count(1700, scale), low: 100, high: 3_000, kind: 'binary', seed, scale });
  },
};

const distrolessApp: LayerSpec = {
  name: 'distroless-app',
  async write(writer, variant, scale) {
    const seed = 10_000 + variant;
    const size = Math.round(40 * MiB * scale);
    await writer.file('app/server', exec, fileBody('binary', size, seed), size);
  },
};

const layersOf: Record<ImageKind, readonly LayerSpec[]> = {
  debian: [debianBase, debianApt],
  alpine: [alpineBase, alpineApk],
  node: [debianBase, nodeRuntime, nodeApp],
  python: [debianBase, pythonRuntime, pythonApp],
  distroless: [distrolessBase, distrolessApp],
};

/**
 * One layer of `bytes` of tar for the memory scenario: a Debian system (status, lists), Node.js modules, a 200 MB
 * program (the collector reads executables whole, looking for Go build information, as it must in real images),
 * large data files, and the rest in many small files. gzip level 1: only its size matters here.
 */
export function largeLayer(bytes: number): LayerSpec {
  return {
    name: `large-${bytes}`,
    level: 1,
    async write(writer, variant) {
      const scale = bytes / GiB;
      const seed = 11_000 + variant;
      await writer.file('usr/lib/os-release', plain, Buffer.from(debianOsRelease));
      await writer.symlink('etc/os-release', '../usr/lib/os-release');
      const packages = debianPackages(400, variant);
      await dpkgPackageFiles(writer, packages, scale, seed);
      await writer.file('var/lib/dpkg/status', plain, Buffer.from(dpkgStatus(packages)));
      await nodeModules(writer, 'app/node_modules', npmPackages(1000, variant), 8, scale, seed);
      const program = Math.round(200 * MiB * scale);
      await writer.file('usr/local/bin/bench-server', exec, fileBody('binary', program, seed), program);
      await manyFiles(writer, { folder: 'srv/data', howMany: 6, low: 30 * MiB, high: 60 * MiB, kind: 'binary', seed, scale });
      // Fill up to the size asked for with small files.
      let index = 0;
      const room = (): number => bytes - 256 * 1024 - writer.tarBytes;
      while (room() > 0) {
        const size = Math.min(sizeOf(1_000, 64_000, 1, seed, index), room());
        await writer.file(`srv/static/${word(Math.floor(index / 200), 59)}/${index}.txt`, plain, fileBody('text', size, seed + index), size);
        index++;
      }
    },
  };
}

/** Layers being made, by path: images that share a layer and are made at once wait for the one writer. */
const making = new Map<string, Promise<LayerFile>>();

/** A layer made once per run in `sharedDir` (kept with a JSON note of its digest and sizes), or the one made already. */
function layerFile(sharedDir: string, spec: LayerSpec, variant: number, scale: number): Promise<LayerFile> {
  const path = join(sharedDir, 'scan-layers', `${spec.name}-v${variant}-s${scale}.tar.gz`);
  let layer = making.get(path);
  if (layer === undefined) {
    layer = makeLayer(path, spec, variant, scale);
    making.set(path, layer);
    // A failure is the caller's; the next asks again.
    layer.catch(() => making.delete(path));
  }
  return layer;
}

async function makeLayer(path: string, spec: LayerSpec, variant: number, scale: number): Promise<LayerFile> {
  await mkdir(dirname(path), { recursive: true });
  const note = `${path}.json`;
  try {
    return JSON.parse(await readFile(note, 'utf8')) as LayerFile;
  } catch {
    // Not made yet.
  }
  const writer = new TarGzWriter(`${path}.partial`, spec.level);
  try {
    await spec.write(writer, variant, scale);
    const made = await writer.finish();
    await rename(`${path}.partial`, path);
    const layer: LayerFile = { ...made, path };
    await writeFile(note, JSON.stringify(layer));
    return layer;
  } catch (error) {
    await rm(`${path}.partial`, { force: true });
    throw error;
  }
}

/** An image of the scan session: its layers as files, and the config and manifest naming them. */
export interface ScanImage {
  readonly name: string;
  readonly kind: ImageKind | 'large';
  readonly layers: readonly LayerFile[];
  readonly config: Buffer;
  readonly manifest: Buffer;
  readonly digest: string;
  /** Bytes of its layers as stored (compressed) and as tar. */
  readonly compressedBytes: number;
  readonly tarBytes: number;
}

function imageOf(name: string, kind: ScanImage['kind'], layers: readonly LayerFile[], copy: string): ScanImage {
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
    config: { Labels: { 'org.berth.bench.image': name, 'org.berth.bench.copy': copy } },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
  }));
  const configDescriptor: Descriptor = { mediaType: ociConfig, digest: sha256(config), size: config.length };
  const manifest = imageManifest(configDescriptor, layers.map((layer) => ({ mediaType: ociLayerGzip, digest: layer.digest, size: layer.size })));
  return {
    name, kind, layers, config, manifest, digest: sha256(manifest),
    compressedBytes: layers.reduce((sum, layer) => sum + layer.size, 0), tarBytes: layers.reduce((sum, layer) => sum + layer.tarBytes, 0),
  };
}

/**
 * An image of `kind`, its layers made (or found) in `sharedDir`. `copy` goes into its config only: the same layers
 * under another manifest digest, which is scanned again.
 */
export async function scanImage(sharedDir: string, kind: ImageKind, variant: number, scale: number, copy = ''): Promise<ScanImage> {
  const layers: LayerFile[] = [];
  // Images of a kind share their base layer by pairs of variants, as images built on one base do.
  for (const [position, spec] of layersOf[kind].entries()) layers.push(await layerFile(sharedDir, spec, position === 0 ? variant >> 1 : variant, scale));
  return imageOf(`${kind}-v${variant}`, kind, layers, copy);
}

/** The memory scenario's image: one layer of `bytes` of tar. */
export async function largeImage(sharedDir: string, bytes: number): Promise<ScanImage> {
  return imageOf(`large-${bytes}`, 'large', [await layerFile(sharedDir, largeLayer(bytes), 0, 1)], '');
}

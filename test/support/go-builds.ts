import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Go programs built by the tests with Debian's `go`, offline: the modules they depend on are published to a module
 * proxy in a folder (GOPROXY=file://, the layout `go` reads from any proxy: `<module>/@v/list`, `<version>.info`,
 * `.mod` and the module zip, zipped here by Info-ZIP), so builds download real versioned modules, write go.sum and
 * stamp real build info, with no network. The build and module caches live in the workspace and go with it.
 */

/** A module version to publish: `module` as go.mod declares it (a fork declares the path it replaces). */
export interface ModuleVersion {
  path: string;
  version: string;
  module?: string;
  requires?: readonly string[];
  files: Record<string, string>;
}

export class GoWorkspace {
  readonly proxy: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(readonly root: string) {
    this.proxy = join(root, 'proxy');
    this.env = {
      PATH: process.env.PATH, HOME: root, GOPROXY: `file://${this.proxy}`, GOSUMDB: 'off', GOENV: 'off', GOTOOLCHAIN: 'local',
      GOCACHE: join(root, 'cache'), GOPATH: join(root, 'gopath'), GOFLAGS: '-modcacherw', CGO_ENABLED: '0',
    };
    const probe = spawnSync('go', ['version'], { env: this.env, encoding: 'utf8' });
    assert.equal(probe.status, 0, `Debian's go is needed to build the test's Go programs (apt-get install golang-go, or run `
      + `scripts/install-test-deps.sh): ${probe.error?.message ?? probe.stderr}`);
  }

  /** `go1.19.8`: the toolchain's version as it stamps binaries. */
  goVersion(): string {
    return this.go(this.root, ['env', 'GOVERSION']).trim();
  }

  /** Publishes a module version to the folder proxy: its go.mod, its .info, and the module zip `go` verifies. */
  publish(module: ModuleVersion): void {
    const stage = join(this.root, 'stage', `${module.path}@${module.version}`);
    const requires = (module.requires ?? []).map((line) => `require ${line}\n`).join('');
    const files = { 'go.mod': `module ${module.module ?? module.path}\n\ngo 1.19\n${requires === '' ? '' : `\n${requires}`}`, ...module.files };
    for (const [name, text] of Object.entries(files)) writeFile(join(stage, name), text);
    const versions = join(this.proxy, module.path, '@v');
    mkdirSync(versions, { recursive: true });
    copyFileSync(join(stage, 'go.mod'), join(versions, `${module.version}.mod`));
    writeFileSync(join(versions, `${module.version}.info`), `${JSON.stringify({ Version: module.version, Time: '2024-05-06T07:08:09Z' })}\n`);
    appendFileSync(join(versions, 'list'), `${module.version}\n`);
    // The zip holds `<path>@<version>/…` and no directory entries, as `go mod download` expects.
    execFileSync('zip', ['-q', '-r', '-X', '-D', join(versions, `${module.version}.zip`), `${module.path}@${module.version}`], { cwd: join(this.root, 'stage') });
  }

  /** `go build` of the main module in `folder` (its go.mod and sources written by the caller), for GOARCH `arch`. */
  build(folder: string, output: string, arch = 'amd64', flags: readonly string[] = []): void {
    this.go(folder, ['build', '-mod=mod', ...flags, '-o', output, '.'], { GOARCH: arch });
  }

  /** `go install path@version` into `bin`: the main module then carries its release version. */
  install(pathAtVersion: string, bin: string, flags: readonly string[] = []): void {
    this.go(this.root, ['install', ...flags, pathAtVersion], { GOBIN: bin });
  }

  /** What `go version -m` prints for a binary. */
  versionM(binary: string): string {
    return this.go(this.root, ['version', '-m', binary]);
  }

  private go(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
    const run = spawnSync('go', args, { cwd, env: { ...this.env, ...env }, encoding: 'utf8', timeout: 5 * 60_000 });
    assert.equal(run.status, 0, `go ${args.join(' ')} failed: ${run.error?.message ?? run.stderr}`);
    return run.stdout;
  }
}

export function writeFile(path: string, text: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * The modules `go version -m` lists, as a vulnerability database names them: the main module and each dependency,
 * a `=>` line replacing the one before it, only those with a release version (a local directory's `(devel)` or
 * empty version names nothing), without the `v`; and `stdlib` at the toolchain's version from the first line.
 */
export function modulesOfVersionM(text: string): string[] {
  const lines = text.split('\n').map((line) => line.replace(/^\t/, '').split('\t'));
  const toolchain = /: go(\d+\.\d+\.\d+)$/.exec(text.split('\n')[0]!)?.[1];
  assert.ok(toolchain, `no toolchain version in ${text.split('\n')[0]}`);
  const modules: [string, string][] = [];
  for (const [index, [kind, path, version]] of lines.entries()) {
    if (kind !== 'mod' && kind !== 'dep') continue;
    const replaced = lines[index + 1]?.[0] === '=>' ? lines[index + 1]! : undefined;
    const [name, release] = replaced === undefined ? [path!, version ?? ''] : [replaced[1]!, replaced[2] ?? ''];
    if (/^v\d/.test(release)) modules.push([name, release.slice(1)]);
  }
  return [`stdlib ${toolchain}`, ...modules.map(([name, release]) => `${name} ${release}`)].sort();
}

/*
 * Large executables are read in part (their ELF head, then the window their data segment starts at), so a 2 GiB
 * binary in a layer costs no more memory than a small one. The part must find exactly what reading the whole file
 * finds: checked on Debian's own Go toolchain binaries (Go 1.19, inline build info), whole and in part, and through
 * the layer walker with a binary past the size where the collector stops holding executables whole.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readImageInventory } from '../../src/features/scanning/image-inventory.js';
import { goBuildInfoWindow, readGoBuildInfo, readGoBuildInfoWindow } from '../../src/scanning/inventory/go-buildinfo.js';
import { Readable } from 'node:stream';
import { LayerWorkspace, mediaTypes } from '../support/layer-tars.js';

const toolchain = '/usr/lib/go-1.19';
const binaries = [join(toolchain, 'bin'), join(toolchain, 'pkg/tool/linux_amd64')]
  .flatMap((folder) => readdirSync(folder).map((name) => join(folder, name)))
  .filter((path) => statSync(path).isFile());

const workspace = new LayerWorkspace();
after(() => workspace.remove());

describe('Go build info of large binaries, read in part', () => {
  it('finds in the head and window exactly what the whole file holds', () => {
    assert.ok(binaries.length >= 10, `Debian's golang-go provides the Go binaries this test reads (scripts/install-test-deps.sh installs it): ${toolchain}`);
    for (const path of binaries) {
      const bytes = readFileSync(path);
      const whole = readGoBuildInfo(bytes);
      assert.ok(whole?.goVersion.startsWith('go1.19'), `${path} is a Go 1.19 binary`);
      const head = bytes.subarray(0, 64 * 1024);
      const asked = goBuildInfoWindow(head);
      assert.ok(asked !== undefined, `${path}: its head names a data segment`);
      const window = { from: asked.from, bytes: bytes.subarray(asked.from, asked.from + asked.length) };
      assert.deepEqual(readGoBuildInfoWindow(head, window), whole, path);
    }
  });

  it('answers nothing for what is no ELF or holds no build info', () => {
    assert.equal(goBuildInfoWindow(Buffer.from('#!/bin/sh\necho hello\n')), undefined);
    const go = readFileSync(join(toolchain, 'bin/go'));
    const head = go.subarray(0, 64 * 1024);
    assert.equal(readGoBuildInfoWindow(head, { from: 0, bytes: Buffer.alloc(256 * 1024) }), undefined);
  });

  it('reads a binary past the whole-file size through the layer walker, without holding it', async () => {
    const go = join(toolchain, 'bin/go');
    const tree = workspace.tree({ 'usr/local/bin/.keep': '' });
    // Past the 8 MiB the collector holds whole, whatever the toolchain's size.
    copyFileSync(go, join(tree, 'usr/local/bin/go'));
    const padded = join(tree, 'usr/local/bin/go-padded');
    copyFileSync(go, padded);
    appendFileSync(padded, Buffer.alloc(12 * 1024 * 1024));
    chmodSync(join(tree, 'usr/local/bin/go'), 0o755);
    chmodSync(padded, 0o755);
    const layer = readFileSync(workspace.layer(tree));
    const digest = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
    const { inventory, walk } = await readImageInventory([{ mediaType: mediaTypes.tar, digest, size: layer.length }],
      async () => Readable.from([layer]));
    const stdlib = (path: string) => inventory.packages.filter((pkg) => pkg.path === path && pkg.name === 'stdlib').map((pkg) => pkg.version);
    assert.deepEqual(stdlib('usr/local/bin/go'), stdlib('usr/local/bin/go-padded'));
    assert.equal(stdlib('usr/local/bin/go-padded').length, 1);
    assert.ok(walk.bytesTaken < statSync(go).size + 2 * 1024 * 1024, `the padded binary was read in part (${walk.bytesTaken} bytes taken)`);
  });
});

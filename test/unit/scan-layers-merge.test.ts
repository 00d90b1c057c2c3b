import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { walkMergedLayers, type WalkSummary } from '../../src/scanning/layers/merged-walker.js';
import { hasTool, LayerWorkspace, mediaTypes, RecordingSink } from '../support/layer-tars.js';

// The three-layer Debian-like image of the scanning notes, built with GNU tar: a package database rewritten by an
// upper layer, an npm package deleted by a whiteout, an opaque directory, a file replaced by a directory and the
// reverse, hard and symbolic links, names over 100 characters in pax and GNU form, and plain, gzip and zstd layers.

const node = 'usr/lib/node_modules/app/node_modules';
const longDirectory = `usr/share/doc/${'a-rather-long-directory-name/'.repeat(4)}deeper`;
const longPax = `${longDirectory}/pax-named-file-in-layer-one.txt`;
const longGnu = `${longDirectory}/gnu-named-file-in-layer-two.txt`;
const status = (libc: string) => `Package: libc6\nStatus: install ok installed\nSource: glibc\nVersion: ${libc}\n\n`
  + 'Package: apt\nStatus: install ok installed\nVersion: 2.6.1\n';

const zstd = hasTool('zstd');
const workspace = new LayerWorkspace();
let bottom: string;
let middle: string;
let top: string;

before(() => {
  assert.ok(longPax.length > 100 && longGnu.length > 100);
  bottom = workspace.layer(workspace.tree({
    'var/lib/dpkg/status': status('2.36-9+deb12u1'),
    'var/log/apt/history.log': 'Start-Date: 2023-10-01\n',
    'usr/lib/os-release': 'ID=debian\nVERSION_ID="12"\n',
    'etc/os-release': { symlink: '../usr/lib/os-release' },
    'etc/motd': 'motd of layer one\n',
    [`${node}/lodash/package.json`]: '{"name":"lodash","version":"4.17.20"}',
    [`${node}/lodash/lodash.js`]: 'module.exports = {};\n',
    [`${node}/minimist/package.json`]: '{"name":"minimist","version":"1.2.5"}',
    'opt/cache/a.txt': 'a\n',
    'opt/cache/sub/b.txt': 'b\n',
    'srv/data': 'data was a file\n',
    'srv/conf/x.conf': 'x = 1\n',
    'usr/bin/tool': 'tool binary\n',
    'usr/bin/tool-alias': { hardlink: 'usr/bin/tool' },
    [longPax]: 'long pax name\n',
  }), { format: 'pax', compression: 'gzip' });
  middle = workspace.layer(workspace.tree({
    'var/lib/dpkg/status': status('2.36-9+deb12u3'),
    [`${node}/semver/package.json`]: '{"name":"semver","version":"7.5.1"}',
    'srv/data/inner.txt': 'data is a directory now\n',
    'srv/conf': 'conf was a directory\n',
    [longGnu]: 'long gnu name\n',
  }), { format: 'gnu', compression: zstd ? 'zstd' : 'gzip', members: ['var', 'usr', 'srv'] });
  // The opaque marker comes after its directory's new child, and `etc/motd` sits beside its own whiteout: neither
  // may hide anything of its own layer.
  top = workspace.layer(workspace.tree({
    [`${node}/.wh.lodash`]: '',
    'opt/cache/c.txt': 'c\n',
    'opt/cache/.wh..wh..opq': '',
    'etc/.wh.motd': '',
    'etc/motd': 'motd of layer three\n',
    'var/.wh.log': '',
  }), { format: 'ustar', members: [`${node}/.wh.lodash`, 'opt/cache/c.txt', 'opt/cache/.wh..wh..opq', 'etc/.wh.motd', 'etc/motd', 'var/.wh.log'] });
});

after(() => workspace.remove());

describe('walking layers into the merged view', { timeout: 60_000 }, () => {
  let sink: RecordingSink;
  let summary: WalkSummary;

  before(async () => {
    sink = new RecordingSink();
    summary = await walkMergedLayers([
      workspace.source(bottom, mediaTypes.gzip),
      workspace.source(middle, zstd ? mediaTypes.zstd : mediaTypes.gzip),
      workspace.source(top, mediaTypes.tar),
    ], sink);
  });

  it('offers exactly the files of the merged view, each in its uppermost version', () => {
    assert.deepEqual(Object.fromEntries([...sink.files].sort(([a], [b]) => a.localeCompare(b))), {
      'etc/motd': 'motd of layer three\n',
      'opt/cache/c.txt': 'c\n',
      'srv/conf': 'conf was a directory\n',
      'srv/data/inner.txt': 'data is a directory now\n',
      [`${node}/minimist/package.json`]: '{"name":"minimist","version":"1.2.5"}',
      [`${node}/semver/package.json`]: '{"name":"semver","version":"7.5.1"}',
      [longGnu]: 'long gnu name\n',
      [longPax]: 'long pax name\n',
      'usr/bin/tool': 'tool binary\n',
      'usr/lib/os-release': 'ID=debian\nVERSION_ID="12"\n',
      'var/lib/dpkg/status': status('2.36-9+deb12u3'),
    });
  });

  it('hands over symbolic links as written and hard links by their normalised target', () => {
    assert.deepEqual(Object.fromEntries(sink.links), {
      'etc/os-release': { target: '../usr/lib/os-release', hard: false },
      'usr/bin/tool-alias': { target: 'usr/bin/tool', hard: true },
    });
  });

  it('never offers a whiteout marker nor a hidden path', () => {
    assert.deepEqual(sink.offered.filter((path) => path.includes('.wh.')), []);
    for (const hidden of ['opt/cache/a.txt', 'opt/cache/sub/b.txt', `${node}/lodash/package.json`, 'srv/data', 'srv/conf/x.conf', 'var/log/apt/history.log']) {
      assert.ok(!sink.offered.includes(hidden), `${hidden} is hidden`);
    }
    assert.equal(new Set(sink.offered).size, sink.offered.length, 'each path is offered once');
  });

  it('sums up what it read', async () => {
    assert.equal(summary.layersRead, 3);
    assert.equal(summary.filesTaken, 11);
    assert.equal(summary.bytesTaken, [...sink.files.values()].reduce((sum, text) => sum + Buffer.byteLength(text), 0));
    assert.equal(summary.entriesRejected, 0);
    assert.ok(summary.entriesSeen > 40, `${summary.entriesSeen} entries`);
    assert.ok(summary.bytesRead >= 3 * 10240, 'tar bytes, after decompression');
    await workspace.assertAllClosed();
  });
});

describe('what the layers hide from each other', { timeout: 60_000 }, () => {
  it('lets a whiteout hide only lower layers, and a lower layer\'s whiteout nothing above it', async () => {
    const lower = workspace.layer(workspace.tree({ 'app/.wh.config': '', 'app/config': 'own layer\n' }));
    const upper = workspace.layer(workspace.tree({ 'app/config/settings.json': '{}' }));
    const bottomLayer = workspace.layer(workspace.tree({ 'app/config': 'bottom file\n', 'app/keep': 'kept\n' }));
    const sink = new RecordingSink();
    await walkMergedLayers([bottomLayer, lower, upper].map((file) => workspace.source(file, mediaTypes.tar)), sink);
    assert.deepEqual([...sink.files.keys()].sort(), ['app/config/settings.json', 'app/keep']);
  });

  it('does not let a directory above hide the children of a directory below', async () => {
    const lower = workspace.layer(workspace.tree({ 'etc/ssl/cert.pem': 'cert\n' }));
    const upper = workspace.layer(workspace.tree({ 'etc/ssl/openssl.cnf': 'cnf\n' }));
    const sink = new RecordingSink();
    await walkMergedLayers([lower, upper].map((file) => workspace.source(file, mediaTypes.tar)), sink);
    assert.deepEqual([...sink.files.keys()].sort(), ['etc/ssl/cert.pem', 'etc/ssl/openssl.cnf']);
  });

  it('hides a lower directory\'s children behind a middle file, even under an upper directory', async () => {
    const lowest = workspace.layer(workspace.tree({ 'opt/app/old.js': 'old\n' }));
    const middleFile = workspace.layer(workspace.tree({ 'opt/app': 'a file now\n' }));
    const upperDirectory = workspace.layer(workspace.tree({ 'opt/app/new.js': 'new\n' }));
    const sink = new RecordingSink();
    await walkMergedLayers([lowest, middleFile, upperDirectory].map((file) => workspace.source(file, mediaTypes.tar)), sink);
    assert.deepEqual([...sink.files.keys()], ['opt/app/new.js']);
  });

  it('lets an opaque marker at the root hide every lower layer', async () => {
    const lower = workspace.layer(workspace.tree({ 'etc/hostname': 'lower\n' }));
    const upper = workspace.layer(workspace.tree({ '.wh..wh..opq': '', 'etc/hostname': 'upper\n' }), { members: ['etc', '.wh..wh..opq'] });
    const sink = new RecordingSink();
    await walkMergedLayers([lower, upper].map((file) => workspace.source(file, mediaTypes.tar)), sink);
    assert.deepEqual(Object.fromEntries(sink.files), { 'etc/hostname': 'upper\n' });
  });

  it('drains the files the sink does not want and keeps reading after them', async () => {
    const layer = workspace.layer(workspace.tree({ 'big.bin': 'x'.repeat(2 * 1024 * 1024), 'small.txt': 'small\n' }), { compression: 'gzip' });
    const sink = new RecordingSink();
    const summary = await walkMergedLayers([workspace.source(layer, mediaTypes.dockerGzip)], sink);
    assert.deepEqual([...sink.files.keys()], ['small.txt']);
    assert.deepEqual(sink.offered, ['big.bin', 'small.txt']);
    assert.ok(summary.bytesRead > 2 * 1024 * 1024);
  });

  it('walks an image with no layers to an empty view', async () => {
    const summary = await walkMergedLayers([], new RecordingSink());
    assert.deepEqual(summary, { layersRead: 0, entriesSeen: 0, entriesRejected: 0, rejected: [], filesTaken: 0, bytesRead: 0, bytesTaken: 0 });
  });
});

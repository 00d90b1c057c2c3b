import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseTarPath, parentOf, readWhiteout } from '../../src/scanning/layers/tar-paths.js';

describe('tar entry names as paths of the merged view', () => {
  it('drops leading slashes, ./ and empty components', () => {
    assert.equal(normaliseTarPath('./usr/lib/os-release'), 'usr/lib/os-release');
    assert.equal(normaliseTarPath('/etc/passwd'), 'etc/passwd');
    assert.equal(normaliseTarPath('//usr//./local///bin/'), 'usr/local/bin');
    assert.equal(normaliseTarPath('var/lib/dpkg/'), 'var/lib/dpkg');
  });

  it('gives the empty path for the root itself', () => {
    for (const root of ['./', '.', '/', '', '././/']) assert.equal(normaliseTarPath(root), '', JSON.stringify(root));
  });

  it('resolves .. inside the root and refuses names that climb out of it', () => {
    assert.equal(normaliseTarPath('usr/lib/../share/doc'), 'usr/share/doc');
    assert.equal(normaliseTarPath('a/..'), '');
    for (const climbing of ['../etc/passwd', './../x', '/../../etc/shadow', 'a/../../b', 'a/b/../../..']) {
      assert.equal(normaliseTarPath(climbing), undefined, climbing);
    }
  });

  it('refuses a NUL anywhere', () => {
    assert.equal(normaliseTarPath('etc/passwd\0.txt'), undefined);
  });

  it('keeps names that only look odd', () => {
    assert.equal(normaliseTarPath('usr/..data/...'), 'usr/..data/...');
    assert.equal(normaliseTarPath('a b/c\td'), 'a b/c\td');
  });

  it('knows a path\'s directory', () => {
    assert.equal(parentOf('usr/lib/os-release'), 'usr/lib');
    assert.equal(parentOf('etc'), '');
  });
});

describe('whiteout markers', () => {
  it('reads a whiteout as the path it deletes', () => {
    assert.deepEqual(readWhiteout('usr/lib/node_modules/.wh.lodash'), { kind: 'whiteout', hides: 'usr/lib/node_modules/lodash' });
    assert.deepEqual(readWhiteout('.wh.tmp'), { kind: 'whiteout', hides: 'tmp' });
    assert.deepEqual(readWhiteout('etc/.wh..bashrc'), { kind: 'whiteout', hides: 'etc/.bashrc' });
  });

  it('reads the opaque marker as its directory', () => {
    assert.deepEqual(readWhiteout('opt/cache/.wh..wh..opq'), { kind: 'opaque', directory: 'opt/cache' });
    assert.deepEqual(readWhiteout('.wh..wh..opq'), { kind: 'opaque', directory: '' });
  });

  it('marks the format\'s other reserved names, and whiteouts of nothing, as reserved', () => {
    for (const reserved of ['.wh..wh.plnk', '.wh..wh.plnk/123.456', '.wh..wh.aufs', 'x/.wh.', 'x/.wh..', 'x/.wh...', '.wh.dir/file']) {
      assert.deepEqual(readWhiteout(reserved), { kind: 'reserved' }, reserved);
    }
  });

  it('leaves ordinary names alone, even with .wh. inside them', () => {
    for (const name of ['etc/passwd', 'usr/share/doc/a.wh.txt', 'x.wh.y/z', 'wh.lodash']) assert.equal(readWhiteout(name), undefined, name);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pep440Order } from '../../src/scanning/versions/pep440-order.js';

/** Every pair in the list, each earlier one below each later one. */
function assertAscending(versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      assert.ok(pep440Order.compare(versions[i]!, versions[j]!) < 0, `${versions[i]} < ${versions[j]}`);
      assert.ok(pep440Order.compare(versions[j]!, versions[i]!) > 0, `${versions[j]} > ${versions[i]}`);
    }
  }
}

describe('PEP 440 version order (PyPI)', () => {
  it('orders dev, pre, final and post releases', () => {
    assertAscending(['1.0.dev0', '1.0a1.dev1', '1.0a1', '1.0a2', '1.0b2', '1.0rc1', '1.0', '1.0.post1.dev0', '1.0.post1', '1.0.1', '1.1']);
    assertAscending(['1.26.12', '1.26.18', '2.0.0', '2.0.7']);
  });

  it('compares epochs first and ignores trailing zeros', () => {
    assert.ok(pep440Order.compare('1!0.9', '2.0') > 0);
    assert.equal(pep440Order.compare('1.0', '1.0.0'), 0);
    assert.equal(pep440Order.compare('0!1.0', '1.0'), 0);
  });

  it('reads the spellings PEP 440 normalises as the same version', () => {
    for (const [a, b] of [['v1.0', '1.0'], ['1.0-alpha1', '1.0a1'], ['1.0c1', '1.0rc1'], ['1.0-1', '1.0.post1'], ['1.0_RC_1', '1.0rc1'],
      ['1.0.dev', '1.0.dev0']]) {
      assert.equal(pep440Order.compare(a!, b!), 0, `${a} = ${b}`);
    }
  });

  it('orders local versions after their public version, digit runs as numbers above other parts', () => {
    assertAscending(['1.0', '1.0+0x1f', '1.0+abc', '1.0+abc.1', '1.0+1', '1.0+2', '1.0+10', '1.0+10.a', '1.0.post1']);
    assert.equal(pep440Order.compare('1.0+ABC-1', '1.0+abc.1'), 0);
    assert.ok(pep440Order.compare('1.0+1e3', '1.0+999') < 0, '1e3 is a string part, not the number 1000');
  });

  it('refuses what is no version, and sorts it before every version', () => {
    for (const version of ['', 'latest', '1.0+', '1.0+a+b', 'version 1', '1.0 ', '1.0-foo', '1.0..1', `1.${'0'.repeat(300)}`]) {
      assert.equal(pep440Order.isValid(version), false, JSON.stringify(version));
      assert.ok(pep440Order.compare(version, '0') < 0, `${JSON.stringify(version)} sorts before 0`);
    }
  });
});

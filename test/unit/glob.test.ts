import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatcher, isValidGlob } from '../../src/registry/glob.js';

/** Globs over repository names and tags: their meaning, and matching that never backtracks. */
describe('glob patterns', () => {
  it('matches * within a path component, ** across, ? one character but "/", and the rest literally', () => {
    const cases: [string, string, boolean][] = [
      ['v1.*', 'v1.2', true], ['v1.*', 'v1.2/x', false], ['v1.*', 'v1x2', false], ['team/**', 'team/a/b', true], ['team/*', 'team/a/b', false],
      ['team/*', 'team/', true], ['?', 'a', true], ['?', '/', false], ['?', '', false], ['a*', 'a', true], ['**', '', true], ['*', 'a/b', false],
      ['a**b', 'a/x/b', true], ['a*b', 'a/b', false], ['*/*', 'a/b', true], ['***', 'a/b', true], ['v*-rc*', 'v1-rc2', true],
      ['x', 'x', true], ['x', 'xx', false], ['a+b', 'a+b', true], ['a+b', 'aab', false], ['(a)', '(a)', true], ['[ab]', 'a', false],
    ];
    for (const [pattern, value, expected] of cases) assert.equal(globMatcher(pattern)(value), expected, `${pattern} ~ ${value}`);
  });

  it('answers a pattern made to backtrack over long values at once: the work is pattern length times value length', () => {
    const hostile = globMatcher('*a*a*a*a*a*a*a*a*a*a*a*b');
    const anyHostile = globMatcher('**a**a**a**a**a**a**a**a**a**a**a**b');
    for (let i = 0; i < 200; i++) {
      assert.equal(hostile('a'.repeat(255)), false);
      assert.equal(anyHostile(`${'a/'.repeat(127)}a`), false);
    }
    assert.equal(hostile(`${'a'.repeat(254)}b`), true);
  });

  it('accepts 1 to 256 printable characters', () => {
    assert.ok(isValidGlob('v*'));
    assert.ok(isValidGlob('x'.repeat(256)));
    assert.ok(!isValidGlob(''));
    assert.ok(!isValidGlob('x'.repeat(257)));
    assert.ok(!isValidGlob('v\u0000*'));
    assert.ok(!isValidGlob('v\n'));
  });
});

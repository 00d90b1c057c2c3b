import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyAddress, parseTargetUrl, resolveTarget, TargetRefused, type Resolver } from '../../src/features/webhooks/target-guard.js';
import { RegistryError } from '../../src/errors/registry-error.js';

/** Where webhooks may go: public addresses only, unless the administrator allows private ones. */
describe('webhook targets: address classification', () => {
  const cases: [string, string | undefined][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.3.4', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.10', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['100.100.100.200', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    // IPv4 carried in IPv6 is judged by the IPv4 address, where the connection goes.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::192.168.0.1', 'private'],
    // Public addresses pass.
    ['8.8.8.8', undefined],
    ['172.32.0.1', undefined],
    ['172.15.255.255', undefined],
    ['192.169.0.1', undefined],
    ['100.128.0.1', undefined],
    ['2606:4700:4700::1111', undefined],
    ['::ffff:8.8.8.8', undefined],
    ['64:ff9b::8.8.8.8', undefined],
  ];
  for (const [address, expected] of cases) {
    it(`classes ${address} as ${expected ?? 'public'}`, () => {
      assert.equal(classifyAddress(address), expected);
    });
  }
});

describe('webhook targets: URLs and resolution', () => {
  const resolving = (addresses: string[]): Resolver => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('accepts http and https URLs and refuses other schemes, credentials and non-URLs with what to send', () => {
    assert.equal(parseTargetUrl('https://hooks.example.com/berth?x=1').host, 'hooks.example.com');
    assert.equal(parseTargetUrl('http://[::1]:8080/').host, '::1');
    for (const [url, message] of [
      ['ftp://example.com/', /http or https only/],
      ['file:///etc/passwd', /http or https only/],
      ['https://user:pass@example.com/', /may not hold a username or password/],
      ['not a url', /is not a URL/],
    ] as const) {
      assert.throws(() => parseTargetUrl(url), (error: unknown) => error instanceof RegistryError && error.code === 'INVALID_REQUEST' && message.test(error.message));
    }
  });

  it('normalises IPv4 shorthand before judging it, as a connection would', async () => {
    for (const url of ['http://127.1/', 'http://2130706433/', 'http://0x7f.0.0.1/', 'http://[::ffff:127.0.0.1]/']) {
      await assert.rejects(resolveTarget(parseTargetUrl(url), false), TargetRefused, url);
    }
  });

  it('refuses a name resolving to a private address, saying how to allow it', async () => {
    const target = parseTargetUrl('https://internal.example.com/hook');
    await assert.rejects(resolveTarget(target, false, resolving(['10.0.0.5'])), (error: unknown) => {
      assert.ok(error instanceof TargetRefused);
      assert.equal(error.code, 'INVALID_REQUEST');
      assert.match(error.message, /internal\.example\.com resolves to 10\.0\.0\.5/);
      assert.match(error.message, /webhooks\.allowPrivateTargets: true/);
      return true;
    });
  });

  it('refuses a name with any private address among public ones', async () => {
    await assert.rejects(resolveTarget(parseTargetUrl('https://mixed.example.com/'), false, resolving(['93.184.216.34', '127.0.0.1'])), TargetRefused);
  });

  it('answers every checked address of a public name, to connect to exactly those', async () => {
    const resolved = await resolveTarget(parseTargetUrl('https://public.example.com/'), false, resolving(['93.184.216.34', '2606:2800:220:1::1']));
    assert.deepEqual(resolved.addresses, [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }]);
  });

  it('lets private addresses through when the administrator allows them', async () => {
    const resolved = await resolveTarget(parseTargetUrl('http://127.0.0.1:9/'), true);
    assert.deepEqual(resolved.addresses, [{ address: '127.0.0.1', family: 4 }]);
  });

  it('says when a name does not resolve, without calling it private', async () => {
    const failing: Resolver = async () => { throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }); };
    await assert.rejects(resolveTarget(parseTargetUrl('https://nowhere.invalid/'), false, failing), (error: unknown) => {
      assert.ok(error instanceof RegistryError && !(error instanceof TargetRefused));
      assert.match(error.message, /does not resolve \(ENOTFOUND\)/);
      return true;
    });
  });
});

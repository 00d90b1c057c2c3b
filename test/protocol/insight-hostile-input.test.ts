import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, errorMessage, expectStatus } from '../support/api-client.js';
import { pushTinyImage } from '../support/registry-client.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

const base64url = (text: string): string => Buffer.from(text).toString('base64url');

/**
 * Malformed filters and page cursors get 400 INVALID_REQUEST naming the parameter and what to send; patterns are
 * globs matched in linear time, so a pattern made to backtrack answers at once however long the names are.
 */
describe('insight API: hostile input', () => {
  let registry: InProcessBerth;
  let api: ApiClient;
  const longRepository = `team/${'a'.repeat(200)}`;
  const longTag = 'a'.repeat(128);

  before(async () => {
    registry = await startInProcess();
    api = new ApiClient(registry.url, undefined);
    await pushTinyImage(registry.url, 'team/app', 'v1', 'one');
    await pushTinyImage(registry.url, longRepository, longTag, 'two');
    await pushTinyImage(registry.url, longRepository, `${'a'.repeat(127)}b`, 'three');
  });
  after(async () => { await registry.close(); });

  /** Asserts a 400 INVALID_REQUEST whose message names `parameter`; answers the message. */
  const refused = async (path: string, parameter: string): Promise<string> => {
    const message = errorMessage(expectStatus(await api.get(path), 400, 'INVALID_REQUEST'));
    assert.ok(message.includes(parameter), `"${message}" names ${parameter}`);
    assert.ok(message.length < 600, 'the message is bounded');
    return message;
  };

  it('refuses malformed page cursors, saying to pass the previous page\'s next', async () => {
    for (const last of ['garbage', base64url('{"repository":"team/app"}'), base64url('["only-one"]'), base64url('["r","t","1"]'),
      base64url('["r","t",1,2]'), base64url('[1,2]'), 'not base64!', base64url('["r","t",1e999]')]) {
      for (const path of [`/api/v1/artifacts?last=${encodeURIComponent(last)}`, `/api/v1/tags?repository=team/app&last=${encodeURIComponent(last)}`]) {
        const message = await refused(path, 'last');
        if (!message.startsWith('query.last')) assert.match(message, /pass the "next" value \(or follow the Link header\) of the previous page/);
      }
    }
    await refused(`/api/v1/artifacts?last=${'A'.repeat(3000)}`, 'last');
  });

  it('refuses bad platforms', async () => {
    for (const platform of ['linux', 'linux/', '/amd64', 'linux/amd64/v8/x', 'linux/am d64', `linux/${'a'.repeat(65)}`, '<script>/x']) {
      await refused(`/api/v1/artifacts?platform=${encodeURIComponent(platform)}`, 'platform');
      await refused(`/api/v1/latest?repository=team/app&platform=${encodeURIComponent(platform)}`, 'platform');
    }
  });

  it('refuses more than 32 label or annotation filters, and empty keys', async () => {
    const many = Array.from({ length: 33 }, (_, i) => `label=k${i}=v`).join('&');
    await refused(`/api/v1/artifacts?${many}`, 'label');
    await refused(`/api/v1/artifacts?${many.replaceAll('label=', 'annotation=')}`, 'annotation');
    expectStatus(await api.get(`/api/v1/artifacts?${Array.from({ length: 32 }, (_, i) => `label=k${i}=v`).join('&')}`), 200);
    await refused('/api/v1/artifacts?label==value', 'label');
    await refused(`/api/v1/artifacts?label=${'k'.repeat(257)}`, 'label');
  });

  it('refuses globs with control characters or over 256 characters', async () => {
    for (const [path, parameter] of [
      ['/api/v1/artifacts?tag=', 'tag'], ['/api/v1/artifacts?repository=', 'repository'], ['/api/v1/tags?repository=team/app&pattern=', 'pattern'],
    ] as const) {
      await refused(`${path}${encodeURIComponent('v1\u0000*')}`, parameter);
      await refused(`${path}${encodeURIComponent('v1\n')}`, parameter);
      await refused(`${path}${encodeURIComponent('\u001b[31m')}`, parameter);
      await refused(`${path}${'*'.repeat(257)}`, parameter);
    }
  });

  it('refuses unknown parameters, naming them', async () => {
    assert.match(await refused('/api/v1/artifacts?labels=a=b', 'labels'), /unknown field/);
    await refused('/api/v1/tags?repository=team/app&sort=name&q=x', '"q"');
    await refused('/api/v1/latest?repository=team/app&platfrom=linux/amd64', 'platfrom');
  });

  it('refuses bad ranges, sorts, sizes, times and page sizes', async () => {
    assert.match(await refused(`/api/v1/latest?repository=team/app&range=${encodeURIComponent('not a range!')}`, 'range'), /write one as npm does/);
    await refused(`/api/v1/latest?repository=team/app&range=${'1'.repeat(300)}`, 'range');
    await refused('/api/v1/latest?repository=team/app&by=pushed&range=^1', 'range');
    await refused('/api/v1/latest?repository=team/app&by=newest', 'by');
    await refused('/api/v1/artifacts?sort=random', 'sort');
    await refused('/api/v1/tags?repository=team/app&order=up', 'order');
    await refused('/api/v1/artifacts?minSize=ten', 'minSize');
    await refused('/api/v1/artifacts?maxSize=-1', 'maxSize');
    await refused('/api/v1/artifacts?pushedAfter=yesterday', 'pushedAfter');
    await refused('/api/v1/artifacts?pulledBefore=2025-13-45T99:00:00Z', 'pulledBefore');
    for (const n of ['99999999999', '0', '-1', 'many', '1e3']) {
      await refused(`/api/v1/artifacts?n=${n}`, 'n');
      await refused(`/api/v1/tags?repository=team/app&n=${n}`, 'n');
    }
    expectStatus(await api.get('/api/v1/artifacts?n=999999999'), 200);
  });

  it('refuses missing or malformed repositories, references and search text', async () => {
    await refused('/api/v1/tags', 'repository');
    await refused(`/api/v1/tags?repository=${'a'.repeat(256)}`, 'repository');
    await refused('/api/v1/artifact?repository=team/app&reference=sha256:zz', 'reference');
    await refused(`/api/v1/artifact?repository=team/app&reference=${'a'.repeat(201)}`, 'reference');
    await refused('/api/v1/search?q=', 'q');
    await refused(`/api/v1/search?q=${'x'.repeat(257)}`, 'q');
    await refused('/api/v1/repository', 'name');
  });

  it('answers a pattern made to backtrack over long names at once, matching as a glob does', async () => {
    const hostile = encodeURIComponent('*a*a*a*a*a*a*a*a*a*a*a*b');
    const rows = expectStatus(await api.get(`/api/v1/artifacts?tag=${hostile}`), 200).body.items as { tag: string }[];
    assert.deepEqual(rows.map((row) => row.tag), [`${'a'.repeat(127)}b`]);
    const tags = expectStatus(await api.get(`/api/v1/tags?repository=${longRepository}&pattern=${hostile}`), 200).body.items as { tag: string }[];
    assert.deepEqual(tags.map((row) => row.tag), [`${'a'.repeat(127)}b`]);
    const across = encodeURIComponent('**a**a**a**a**a**a**a**a**a**a**a**b');
    assert.deepEqual(expectStatus(await api.get(`/api/v1/artifacts?repository=${across}`), 200).body.items, []);
    const none = encodeURIComponent(`${'*a'.repeat(120)}c`);
    assert.deepEqual(expectStatus(await api.get(`/api/v1/artifacts?tag=${none}&repository=${none}`), 200).body.items, []);
  });
});

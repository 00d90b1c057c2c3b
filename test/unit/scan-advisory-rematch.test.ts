import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rematchImages } from '../../src/features/scanning/advisory-rematch.js';
import type { ImageFinding, NamedPackage } from '../../src/metadata/scan-store.js';
import { parseOsvRecord, type OsvRecord } from '../../src/scanning/osv/osv-record.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function record(id: string, name: string, fixed: string, severity = 'high'): OsvRecord {
  const parsed = parseOsvRecord({
    id, modified: '2026-01-01T00:00:00Z',
    affected: [{
      package: { ecosystem: 'Debian:12', name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      ecosystem_specific: { urgency: severity },
    }],
  });
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}

function zlib(n: number, version: string, seq = 0): NamedPackage {
  return { digest: digest(n), seq, kind: 'dpkg', ecosystem: 'Debian:12', matchName: 'zlib', version, sourceVersion: undefined, finishedAt: 1_000 };
}

const had = (n: number, advisoryId: string, severity: ImageFinding['severity'], seq = 0): ImageFinding =>
  ({ digest: digest(n), finishedAt: 1_000, advisoryId, packageSeq: seq, fixedVersion: '1:1.2.13.dfsg-2', severity, score: undefined });

describe('rematching changed advisories against stored inventories', () => {
  it('finds the images a new advisory reaches, by each package version, and counts what it adds', () => {
    const packages = [zlib(1, '1:1.2.13.dfsg-1'), zlib(2, '1:1.2.13.dfsg-1', 4), zlib(3, '1:1.2.13.dfsg-2')];
    const changed = rematchImages([record('DSA-1', 'zlib', '1:1.2.13.dfsg-2')], packages, []);
    assert.deepEqual(changed.map((image) => [image.digest, image.findings.map((found) => [found.advisoryId, found.packageSeq, found.fixedVersion])]), [
      [digest(1), [['DSA-1', 0, '1:1.2.13.dfsg-2']]],
      [digest(2), [['DSA-1', 4, '1:1.2.13.dfsg-2']]],
    ], 'the fixed version is not affected');
    assert.deepEqual(changed[0]!.delta, { critical: 0, high: 1, medium: 0, low: 0, other: 0, fixable: 1 });
    assert.deepEqual(changed[0]!.newCritical, []);
  });

  it('leaves images whose findings did not change, and names new critical findings', () => {
    const packages = [zlib(1, '1:1.2.13.dfsg-1'), zlib(2, '1:1.2.13.dfsg-1')];
    const before = [had(1, 'DSA-1', 'HIGH'), had(2, 'DSA-1', 'LOW')];
    const changed = rematchImages([record('DSA-1', 'zlib', '1:1.2.13.dfsg-2')], packages, before);
    assert.deepEqual(changed.map((image) => [image.digest, image.delta.low, image.delta.high]), [[digest(2), -1, 1]]);
    // The distro now rates it critical (no urgency of its own: unknown stays unknown; use a record with a CVSS instead).
    const critical = parseOsvRecord({
      id: 'DSA-1', modified: '2026-01-02T00:00:00Z',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.2.13.dfsg-2' }] }] }],
    }) as OsvRecord;
    const again = rematchImages([critical], packages, before);
    assert.deepEqual(again.map((image) => [image.digest, image.newCritical, image.delta.critical]), [[digest(1), ['DSA-1'], 1], [digest(2), ['DSA-1'], 1]]);
  });

  it('drops the findings of a withdrawn advisory, and of one that no longer names an image\'s package', () => {
    const before = [had(1, 'DSA-1', 'HIGH'), had(2, 'DSA-2', 'LOW', 3)];
    // DSA-1 was withdrawn (no record left); DSA-2 now names another package, so digest(2)'s packages are not read.
    const changed = rematchImages([record('DSA-2', 'openssl', '3.0.15-1~deb12u1')], [zlib(1, '1:1.2.13.dfsg-1')], before);
    assert.deepEqual(changed.map((image) => [image.digest, image.findings, image.delta.high, image.delta.low, image.delta.fixable]), [
      [digest(1), [], -1, 0, -1],
      [digest(2), [], 0, -1, -1],
    ]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageRanges, matchVariants } from '../../src/features/scanning/advisory-rematch.js';
import type { PackageVariant } from '../../src/metadata/scan-store.js';
import { parseOsvRecord, type OsvRecord } from '../../src/scanning/osv/osv-record.js';

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

const zlib = (version: string): PackageVariant => ({ ecosystem: 'Debian:12', kind: 'dpkg', matchName: 'zlib', version, sourceVersion: null });

describe('rematching changed advisories against stored inventories', () => {
  it('matches each package version once and gives its verdict, not the fixed version', () => {
    const variants = [zlib('1:1.2.13.dfsg-1'), zlib('1:1.2.13.dfsg-2'), { ...zlib('1:1.2.11.dfsg-4'), sourceVersion: '1:1.2.11.dfsg-4' }];
    const findings = matchVariants([record('DSA-1', 'zlib', '1:1.2.13.dfsg-2')], variants);
    assert.deepEqual(findings.map((found) => [found.version, found.sourceVersion, found.advisoryId, found.fixedVersion, found.severity]), [
      ['1:1.2.13.dfsg-1', null, 'DSA-1', '1:1.2.13.dfsg-2', 'HIGH'],
      ['1:1.2.11.dfsg-4', '1:1.2.11.dfsg-4', 'DSA-1', '1:1.2.13.dfsg-2', 'HIGH'],
    ]);
  });

  it('rates by the record: a CVSS vector scores critical', () => {
    const critical = parseOsvRecord({
      id: 'DSA-1', modified: '2026-01-02T00:00:00Z',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.2.13.dfsg-2' }] }] }],
    }) as OsvRecord;
    const [found] = matchVariants([critical], [zlib('1:1.2.13.dfsg-1')]);
    assert.deepEqual([found!.severity, found!.score], ['CRITICAL', 9.8]);
  });

  it('finds nothing for a withdrawn advisory (no record) or one naming another package', () => {
    assert.deepEqual(matchVariants([], [zlib('1:1.2.13.dfsg-1')]), []);
    assert.deepEqual(matchVariants([record('DSA-2', 'openssl', '3.0.15-1~deb12u1')], [zlib('1:1.2.13.dfsg-1')]), []);
  });

  it('splits the image keys into ranges of about the rows asked for, covering every key once', () => {
    assert.deepEqual(imageRanges(undefined, 10, 5), []);
    assert.deepEqual(imageRanges({ first: 1, last: 10 }, 3, 2_000), [{ first: 1, last: 10 }]);
    const ranges = imageRanges({ first: 5, last: 100_004 }, 180_000, 2_000);
    assert.equal(ranges.length, 90);
    assert.deepEqual([ranges[0]!.first, ranges.at(-1)!.last], [5, 100_004]);
    for (let at = 1; at < ranges.length; at++) assert.equal(ranges[at]!.first, ranges[at - 1]!.last + 1);
    assert.equal(imageRanges({ first: 1, last: 3 }, 1_000_000, 1).length, 3, 'never more ranges than keys');
  });
});

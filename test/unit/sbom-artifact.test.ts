/**
 * The SBOM referrer Berth attaches, as bytes: the same inventory of the same image scanned at the same time gives the
 * same manifest (so attaching it again is a no-op), the fingerprint that decides whether a rescan replaces the SBOM
 * ignores the order packages were found in, and the report names the newest SBOM Berth made, never a user's.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { inventoryFingerprint, sbomArtifact, sbomView } from '../../src/features/scanning/sbom-artifact.js';
import type { Referrer } from '../../src/metadata/metadata-store.js';
import type { InstalledPackage, Inventory } from '../../src/scanning/model.js';

const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const zlib: InstalledPackage = {
  kind: 'dpkg', name: 'zlib1g', version: '1:1.2.13.dfsg-1', sourceName: 'zlib', arch: 'amd64', ecosystem: 'Debian:12',
  purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12', path: 'var/lib/dpkg/status',
};
const left: InstalledPackage = { kind: 'npm', name: 'left-pad', version: '1.3.0', ecosystem: 'npm', purl: 'pkg:npm/left-pad@1.3.0', path: 'app/node_modules/left-pad/package.json' };
const inventory: Inventory = { distro: { id: 'debian', versionId: '12', ecosystem: 'Debian:12' }, packages: [zlib, left] };
const image = { repository: 'team/app', digest: sha256('image'), descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256('image'), size: 512 } };
const scannedAt = new Date('2026-12-03T10:00:00.123Z');

describe('the SBOM referrer', () => {
  it('is the same bytes for the same inventory, image and scan time', () => {
    const first = sbomArtifact('cyclonedx', inventory, image, scannedAt);
    const again = sbomArtifact('cyclonedx', { ...inventory, packages: [left, zlib] }, image, scannedAt);
    assert.deepEqual(again.manifest, first.manifest);
    assert.equal(first.manifestDigest, sha256(first.manifest));
  });

  it('is an OCI artifact manifest: the SBOM type, the empty config, one titled layer, the image as subject', () => {
    for (const [format, type, title] of [['cyclonedx', 'application/vnd.cyclonedx+json', 'sbom.cyclonedx.json'], ['spdx', 'application/spdx+json', 'sbom.spdx.json']] as const) {
      const artifact = sbomArtifact(format, inventory, image, scannedAt);
      const manifest = JSON.parse(artifact.manifest.toString('utf8'));
      assert.equal(manifest.artifactType, type);
      assert.deepEqual(manifest.config, { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 });
      assert.deepEqual(manifest.layers, [{ mediaType: type, digest: sha256(artifact.document), size: artifact.document.length, annotations: { 'org.opencontainers.image.title': title } }]);
      assert.deepEqual(manifest.subject, image.descriptor);
      assert.equal(manifest.annotations['org.opencontainers.image.created'], '2026-12-03T10:00:00Z');
      assert.equal(manifest.annotations['dev.berth.sbom.scanner'], 'berth');
      assert.equal(manifest.annotations['dev.berth.sbom.inventory'], inventoryFingerprint(inventory, format));
      assert.deepEqual(artifact.blobs.map((blob) => blob.descriptor.digest), [sha256('{}'), sha256(artifact.document)]);
    }
  });

  it('has a fingerprint that moves with the packages and the format, not with their order or the time', () => {
    const fingerprint = inventoryFingerprint(inventory, 'cyclonedx');
    assert.equal(inventoryFingerprint({ ...inventory, packages: [left, zlib] }, 'cyclonedx'), fingerprint);
    assert.notEqual(inventoryFingerprint({ ...inventory, packages: [zlib] }, 'cyclonedx'), fingerprint);
    assert.notEqual(inventoryFingerprint({ ...inventory, packages: [{ ...zlib, version: '1:1.2.13.dfsg-1+deb12u1' }, left] }, 'cyclonedx'), fingerprint);
    assert.notEqual(inventoryFingerprint(inventory, 'spdx'), fingerprint);
    const later = JSON.parse(sbomArtifact('cyclonedx', inventory, image, new Date('2027-01-01T00:00:00Z')).manifest.toString('utf8'));
    assert.equal(later.annotations['dev.berth.sbom.inventory'], fingerprint);
  });

  it('is named in the report only when Berth made it, the newest of two', () => {
    const referrer = (digest: string, created: string | undefined, berth: boolean): Referrer => ({
      digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 700, artifactType: 'application/vnd.cyclonedx+json',
      annotations: { ...(created && { 'org.opencontainers.image.created': created }), ...(berth && { 'dev.berth.sbom.scanner': 'berth' }) },
    });
    assert.equal(sbomView([referrer(sha256('user'), '2027-01-01T00:00:00Z', false)]), undefined);
    assert.deepEqual(sbomView([referrer(sha256('old'), '2026-01-01T00:00:00Z', true), referrer(sha256('new'), '2026-06-01T00:00:00Z', true), referrer(sha256('user'), '2027-01-01T00:00:00Z', false)]), {
      digest: sha256('new'), artifactType: 'application/vnd.cyclonedx+json', format: 'cyclonedx', size: 700, created: '2026-06-01T00:00:00Z',
    });
  });
});

describe('scanning.sbom in the configuration', () => {
  it('attaches CycloneDX by default; the environment turns it off or picks SPDX, and nothing else', () => {
    assert.deepEqual(loadConfig({ env: {} }).scanning.sbom, { attach: true, format: 'cyclonedx' });
    assert.deepEqual(loadConfig({ env: { BERTH_SCAN_SBOM_ATTACH: 'false', BERTH_SCAN_SBOM_FORMAT: 'spdx' } }).scanning.sbom, { attach: false, format: 'spdx' });
    assert.throws(() => loadConfig({ env: { BERTH_SCAN_SBOM_FORMAT: 'syft' } }), /scanning\.sbom\.format: .*BERTH_SCAN_SBOM_FORMAT/);
  });
});

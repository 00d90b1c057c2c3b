import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  blobOf, buildArtifact, buildImage, buildIndex, emptyConfig, expectError, finish, mediaTypes, pushBlob, pushBlobs,
  pushIndex, pushManifest, putManifest, randomDigest, type BuiltManifest, type Descriptor,
} from '../support/image-builder.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

/**
 * `subject`, `artifactType` and the referrers API.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-manifests-with-subject
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 */

interface ReferrersIndex {
  schemaVersion: number;
  mediaType: string;
  manifests: Descriptor[];
}

const sbomType = 'application/vnd.example.sbom.v1';
const signatureType = 'application/vnd.example.signature.v1';

async function referrers(url: string, repository: string, digest: string, query = ''): Promise<{ response: Response; index: ReferrersIndex }> {
  const response = await fetch(`${url}/v2/${repository}/referrers/${digest}${query}`);
  assert.equal(response.status, 200, `referrers answered ${response.status}`);
  // "The Content-Type header MUST be set to application/vnd.oci.image.index.v1+json." The OCI conformance suite
  // compares the header value with exactly this string.
  assert.equal(response.headers.get('content-type'), mediaTypes.ociIndex);
  const index = await response.json() as ReferrersIndex;
  assert.equal(index.schemaVersion, 2);
  assert.equal(index.mediaType, mediaTypes.ociIndex);
  assert.ok(Array.isArray(index.manifests));
  return { response, index };
}

/** Reads the referrers list without the Content-Type assertion, for tests about its other parts. */
async function referrersBody(url: string, repository: string, digest: string, query = ''): Promise<{ response: Response; index: ReferrersIndex }> {
  const response = await fetch(`${url}/v2/${repository}/referrers/${digest}${query}`);
  assert.equal(response.status, 200, `referrers answered ${response.status}`);
  const index = await response.json() as ReferrersIndex;
  assert.equal(index.schemaVersion, 2);
  assert.equal(index.mediaType, mediaTypes.ociIndex);
  return { response, index };
}

function descriptorOf(manifest: BuiltManifest, artifactType: string | undefined, annotations?: Record<string, string>): Descriptor {
  return {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.size,
    ...(artifactType !== undefined && { artifactType }),
    ...(annotations && { annotations }),
  };
}

const byDigest = (a: Descriptor, b: Descriptor): number => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0);

describe('subject, artifactType and the referrers API', () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  describe('pushing a manifest with a subject', () => {
    const repository = 'referrers/push';

    it('answers OCI-Subject with the subject digest', async () => {
      const image = buildImage();
      await pushManifest(registry.url, repository, 'v1', image);
      const sbom = buildArtifact(image.descriptor, sbomType);
      const response = await pushManifest(registry.url, repository, sbom.digest, sbom);
      // "a registry implementation that supports the referrers API MUST respond with the response header
      // OCI-Subject: <subject digest>"
      assert.equal(response.headers.get('oci-subject'), image.digest);
      assert.equal(response.headers.get('docker-content-digest'), sbom.digest);
    });

    it('accepts a subject that does not exist (yet), and answers OCI-Subject', async () => {
      // "A registry MUST initially accept an otherwise valid manifest with a subject field that references a manifest
      // that does not exist in the repository, allowing clients to push a manifest and referrers to that manifest in
      // either order."
      const later = buildImage();
      const signature = buildArtifact(later.descriptor, signatureType);
      const response = await pushManifest(registry.url, repository, signature.digest, signature);
      assert.equal(response.headers.get('oci-subject'), later.digest);
      const { index } = await referrersBody(registry.url, repository, later.digest);
      assert.deepEqual(index.manifests, [descriptorOf(signature, signatureType)]);

      // The subject pushed afterwards changes nothing.
      await pushManifest(registry.url, repository, 'later', later);
      assert.deepEqual((await referrersBody(registry.url, repository, later.digest)).index.manifests, [descriptorOf(signature, signatureType)]);
    });

    it('answers OCI-Subject for a referrer pushed by tag and lists it', async () => {
      const image = buildImage();
      await pushManifest(registry.url, repository, 'tagged-subject', image);
      const sbom = buildArtifact(image.descriptor, sbomType);
      const response = await pushManifest(registry.url, repository, 'sbom-tag', sbom);
      assert.equal(response.headers.get('oci-subject'), image.digest);
      assert.deepEqual((await referrersBody(registry.url, repository, image.digest)).index.manifests, [descriptorOf(sbom, sbomType)]);
    });

    it('answers OCI-Subject for an index with a subject', async () => {
      const image = buildImage();
      await pushManifest(registry.url, repository, 'index-subject', image);
      const child = buildImage();
      const index = buildIndex([child], { subject: image.descriptor, artifactType: 'application/vnd.example.bundle' });
      const response = await pushIndex(registry.url, repository, index.digest, index, [child]);
      assert.equal(response.headers.get('oci-subject'), image.digest);
    });

    it('does not answer OCI-Subject for a manifest without subject', async () => {
      const image = buildImage();
      const response = await pushManifest(registry.url, repository, 'plain', image);
      assert.equal(response.headers.get('oci-subject'), null);
    });
  });

  describe('listing referrers', () => {
    const repository = 'referrers/list';
    let subject: BuiltManifest;
    let sbom: BuiltManifest;
    let signature: BuiltManifest;
    let configTyped: BuiltManifest;
    let bundle: BuiltManifest;
    let untypedIndex: BuiltManifest;

    before(async () => {
      subject = buildImage();
      await pushManifest(registry.url, repository, 'v1', subject);

      sbom = buildArtifact(subject.descriptor, sbomType, { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.example.sbom.format': 'json' });
      await pushManifest(registry.url, repository, sbom.digest, sbom);
      signature = buildArtifact(subject.descriptor, signatureType, { 'org.example.signature.fingerprint': 'abcd' });
      await pushManifest(registry.url, repository, signature.digest, signature);

      // An image manifest without artifactType: the referrers API reports its config media type.
      const config = blobOf('{"predicate":"x"}', 'application/vnd.example.attestation.config.v1+json');
      configTyped = buildImage({ config, subject: subject.descriptor, annotations: { note: 'config-typed' } });
      await pushManifest(registry.url, repository, configTyped.digest, configTyped);

      // Indexes as referrers: with an artifactType, and without (then none is reported).
      const child = buildImage();
      await pushManifest(registry.url, repository, child.digest, child);
      bundle = buildIndex([child], { subject: subject.descriptor, artifactType: 'application/vnd.example.bundle', annotations: { kind: 'bundle' } });
      await pushManifest(registry.url, repository, bundle.digest, bundle);
      untypedIndex = buildIndex([child], { subject: subject.descriptor, annotations: { kind: 'untyped' } });
      await pushManifest(registry.url, repository, untypedIndex.digest, untypedIndex);

      // Noise: a manifest referring to something else, and one referring to nothing.
      const elsewhere = buildArtifact({ mediaType: mediaTypes.ociManifest, digest: randomDigest(), size: 100 }, sbomType);
      await pushManifest(registry.url, repository, elsewhere.digest, elsewhere);
      await pushManifest(registry.url, repository, 'unrelated', buildImage());
    });

    it('lists every referrer with mediaType, digest, size, artifactType and annotations', async () => {
      const { index } = await referrersBody(registry.url, repository, subject.digest);
      const expected = [
        descriptorOf(sbom, sbomType, { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.example.sbom.format': 'json' }),
        descriptorOf(signature, signatureType, { 'org.example.signature.fingerprint': 'abcd' }),
        descriptorOf(configTyped, 'application/vnd.example.attestation.config.v1+json', { note: 'config-typed' }),
        descriptorOf(bundle, 'application/vnd.example.bundle', { kind: 'bundle' }),
        descriptorOf(untypedIndex, undefined, { kind: 'untyped' }),
      ];
      assert.deepEqual([...index.manifests].sort(byDigest), expected.sort(byDigest));
    });

    it('answers with Content-Type application/vnd.oci.image.index.v1+json, with and without referrers', async () => {
      await referrers(registry.url, repository, subject.digest);
      await referrers(registry.url, repository, randomDigest());
    });

    it('falls back to the config media type for an image manifest without artifactType', async () => {
      // "If the artifactType is empty or missing in the image manifest, the value of artifactType MUST be set to the
      // config descriptor mediaType value."
      const { index } = await referrersBody(registry.url, repository, subject.digest);
      const entry = index.manifests.find((descriptor) => descriptor.digest === configTyped.digest);
      assert.equal(entry?.artifactType, 'application/vnd.example.attestation.config.v1+json');
    });

    it('omits artifactType for an index without one', async () => {
      // "If the artifactType is empty or missing in an index, the artifactType MUST be omitted."
      const { index } = await referrersBody(registry.url, repository, subject.digest);
      const entry = index.manifests.find((descriptor) => descriptor.digest === untypedIndex.digest);
      assert.ok(entry);
      assert.equal('artifactType' in entry, false);
    });

    it('filters by artifactType and says so with OCI-Filters-Applied', async () => {
      const { response, index } = await referrersBody(registry.url, repository, subject.digest, `?artifactType=${encodeURIComponent(sbomType)}`);
      // "If filtering is requested and applied, the response MUST include a header OCI-Filters-Applied: artifactType"
      assert.equal(response.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual(index.manifests.map((descriptor) => descriptor.digest), [sbom.digest]);
      assert.equal(index.manifests[0]!.artifactType, sbomType);
    });

    it('filters on the config media type reported for an image manifest without artifactType', async () => {
      const type = 'application/vnd.example.attestation.config.v1+json';
      const { response, index } = await referrersBody(registry.url, repository, subject.digest, `?artifactType=${encodeURIComponent(type)}`);
      assert.equal(response.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual(index.manifests.map((descriptor) => descriptor.digest), [configTyped.digest]);
    });

    it('answers an empty list, still filtered, when no referrer has the artifactType', async () => {
      const { response, index } = await referrersBody(registry.url, repository, subject.digest, '?artifactType=application/vnd.example.none');
      assert.equal(response.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual(index.manifests, []);
    });

    it('does not claim a filter it was not asked for', async () => {
      const { response } = await referrersBody(registry.url, repository, subject.digest);
      assert.equal(response.headers.get('oci-filters-applied'), null);
    });

    it('answers 200 with an empty index when nothing refers to the digest', async () => {
      // "If a query results in no matching referrers, an empty manifest list MUST be returned."
      const { response, index } = await referrersBody(registry.url, repository, randomDigest());
      assert.equal(response.status, 200);
      assert.deepEqual(index, { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [] });
    });

    it('lists referrers of a manifest that is itself a referrer', async () => {
      const countersignature = buildArtifact(signature.descriptor, signatureType);
      await pushManifest(registry.url, repository, countersignature.digest, countersignature);
      const { index } = await referrersBody(registry.url, repository, signature.digest);
      assert.deepEqual(index.manifests, [descriptorOf(countersignature, signatureType)]);
    });

    it('refuses a malformed digest with 400', async () => {
      // "If the request is invalid, such as a <digest> with an invalid syntax, a 400 Bad Request MUST be returned."
      for (const digest of ['not-a-digest', 'sha256:1234', `sha256:${'A'.repeat(64)}`, 'sha256:', 'latest']) {
        await expectError(await fetch(`${registry.url}/v2/${repository}/referrers/${digest}`), 400, 'DIGEST_INVALID');
      }
    });
  });

  describe('referrers and repositories', () => {
    it('does not list referrers pushed to another repository', async () => {
      const image = buildImage();
      await pushManifest(registry.url, 'referrers/home', 'v1', image);
      await pushManifest(registry.url, 'referrers/away', 'v1', image);
      const away = buildArtifact(image.descriptor, sbomType);
      await pushManifest(registry.url, 'referrers/away', away.digest, away);

      assert.deepEqual((await referrersBody(registry.url, 'referrers/home', image.digest)).index.manifests, []);
      assert.deepEqual((await referrersBody(registry.url, 'referrers/away', image.digest)).index.manifests, [descriptorOf(away, sbomType)]);
    });

    it('stops listing a referrer once it is deleted', async () => {
      const repository = 'referrers/deleted';
      const image = buildImage();
      await pushManifest(registry.url, repository, 'v1', image);
      const kept = buildArtifact(image.descriptor, sbomType);
      const dropped = buildArtifact(image.descriptor, signatureType);
      await pushManifest(registry.url, repository, kept.digest, kept);
      await pushManifest(registry.url, repository, dropped.digest, dropped);
      assert.equal((await referrersBody(registry.url, repository, image.digest)).index.manifests.length, 2);

      const response = await fetch(`${registry.url}/v2/${repository}/manifests/${dropped.digest}`, { method: 'DELETE' });
      assert.equal(response.status, 202);
      assert.deepEqual((await referrersBody(registry.url, repository, image.digest)).index.manifests, [descriptorOf(kept, sbomType)]);
    });
  });

  describe('artifactType edge cases', () => {
    const repository = 'referrers/edges';
    let subject: BuiltManifest;
    before(async () => {
      subject = buildImage();
      await pushManifest(registry.url, repository, 'v1', subject);
    });

    it('falls back to the config media type when artifactType is an empty string', async () => {
      // "If the artifactType is empty or missing in the image manifest, the value of artifactType MUST be set to the
      // config descriptor mediaType value."
      const config = blobOf('{"kind":"empty-artifact-type"}', 'application/vnd.example.config.v1+json');
      const layer = blobOf('payload', 'application/vnd.example.payload');
      const manifest = finish({
        schemaVersion: 2, mediaType: mediaTypes.ociManifest, artifactType: '',
        config: config.descriptor, layers: [layer.descriptor], subject: subject.descriptor,
      }, mediaTypes.ociManifest, [config, layer]);
      await pushManifest(registry.url, repository, manifest.digest, manifest);
      const { index } = await referrersBody(registry.url, repository, subject.digest);
      const entry = index.manifests.find((descriptor) => descriptor.digest === manifest.digest);
      assert.equal(entry?.artifactType, 'application/vnd.example.config.v1+json');
    });

    it('omits artifactType for an index whose artifactType is an empty string', async () => {
      // "If the artifactType is empty or missing in an index, the artifactType MUST be omitted."
      const child = buildImage();
      await pushManifest(registry.url, repository, child.digest, child);
      const index = buildIndex([child], { subject: subject.descriptor, artifactType: '' });
      await pushManifest(registry.url, repository, index.digest, index);
      const listed = (await referrersBody(registry.url, repository, subject.digest)).index.manifests
        .find((descriptor) => descriptor.digest === index.digest);
      assert.ok(listed);
      assert.equal('artifactType' in listed, false, `artifactType ${JSON.stringify(listed.artifactType)} should be omitted`);
    });

    it('reports the empty config type for an artifact using the empty config without artifactType', async () => {
      // image-spec asks for artifactType beside the empty config; a registry storing manifests MUST NOT error on what
      // clients omit, and the referrers API then reports config.mediaType, as the distribution spec says.
      const layer = blobOf('x', 'application/vnd.example.payload');
      const manifest = finish({
        schemaVersion: 2, mediaType: mediaTypes.ociManifest,
        config: emptyConfig().descriptor, layers: [layer.descriptor], subject: subject.descriptor,
      }, mediaTypes.ociManifest, [emptyConfig(), layer]);
      await pushManifest(registry.url, repository, manifest.digest, manifest);
      const entry = (await referrersBody(registry.url, repository, subject.digest)).index.manifests
        .find((descriptor) => descriptor.digest === manifest.digest);
      assert.equal(entry?.artifactType, mediaTypes.ociEmpty);
    });

    it('lists a referrer of a sha512 subject under that digest', async () => {
      const image = buildImage();
      await pushBlobs(registry.url, repository, image);
      const put = await putManifest(registry.url, repository, image.sha512, image);
      assert.equal(put.status, 201);
      const referrer = buildArtifact({ ...image.descriptor, digest: image.sha512 }, sbomType);
      const response = await pushManifest(registry.url, repository, referrer.digest, referrer);
      assert.equal(response.headers.get('oci-subject'), image.sha512);
      const { index } = await referrersBody(registry.url, repository, image.sha512);
      assert.deepEqual(index.manifests, [descriptorOf(referrer, sbomType)]);
      assert.deepEqual((await referrersBody(registry.url, repository, image.digest)).index.manifests, []);
    });

    it('keeps the referrer pullable byte for byte', async () => {
      const sbom = buildArtifact(subject.descriptor, sbomType, { a: 'b' });
      await pushBlob(registry.url, repository, sbom.blobs[1]!);
      await pushManifest(registry.url, repository, 'sbom', sbom);
      const response = await fetch(`${registry.url}/v2/${repository}/manifests/${sbom.digest}`, { headers: { accept: mediaTypes.ociManifest } });
      assert.equal(response.status, 200);
      assert.ok(Buffer.from(await response.arrayBuffer()).equals(sbom.bytes));
    });
  });
});

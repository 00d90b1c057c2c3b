import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifySignatureManifest, cosignTagFor, parseCosignTag } from '../../src/signatures/signature-kinds.js';

const empty = { mediaType: 'application/vnd.oci.empty.v1+json' };
const ociConfig = { mediaType: 'application/vnd.oci.image.config.v1+json' };

describe('signature kinds', () => {
  it('classifies each signature manifest layout by artifactType, then config type, then layers', () => {
    const cases: [unknown, string, number[]?][] = [
      [{ config: ociConfig, layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' }, { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' }] }, 'cosign-simple-signing', [0, 1]],
      [{ config: { mediaType: 'application/vnd.dev.cosign.artifact.sig.v1+json' }, layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' }] }, 'cosign-simple-signing', [0]],
      [{ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', config: empty, layers: [{ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }] }, 'sigstore-bundle', [0]],
      [{ config: ociConfig, layers: [{ mediaType: 'application/vnd.dsse.envelope.v1+json' }] }, 'cosign-attestation', [0]],
      [{ artifactType: 'application/vnd.cncf.notary.signature', config: empty, layers: [{ mediaType: 'application/jose+json' }] }, 'notation-jws', [0]],
      [{ config: { mediaType: 'application/vnd.cncf.notary.signature' }, layers: [{ mediaType: 'application/cose' }] }, 'notation-cose', [0]],
      [{ config: ociConfig, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }] }, 'not-a-signature'],
      [{ artifactType: 'application/vnd.cncf.notary.signature', config: empty, layers: [{ mediaType: 'application/jose+json' }, { mediaType: 'application/jose+json' }] }, 'not-a-signature'],
      [{ artifactType: 'application/vnd.cncf.notary.signature', config: empty, layers: [{ mediaType: 'text/plain' }] }, 'not-a-signature'],
      [{ config: { mediaType: 'application/vnd.dev.cosign.artifact.sig.v1+json' }, layers: [] }, 'not-a-signature'],
      [{}, 'not-a-signature'],
      [{ artifactType: 42, config: { mediaType: null }, layers: [null] }, 'not-a-signature'],
    ];
    for (const [manifest, kind, layers] of cases) {
      const result = classifySignatureManifest(manifest as never);
      assert.equal(result.kind, kind, JSON.stringify(manifest));
      if (layers !== undefined) assert.deepEqual('layers' in result ? result.layers : undefined, layers);
      else assert.ok('reason' in result && result.reason.length > 0);
    }
  });

  it('names and reads cosign\'s legacy tags', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    assert.equal(cosignTagFor(digest, 'sig'), `sha256-${'ab'.repeat(32)}.sig`);
    assert.equal(cosignTagFor(digest, 'att'), `sha256-${'ab'.repeat(32)}.att`);
    assert.equal(cosignTagFor('latest', 'sig'), undefined);
    assert.deepEqual(parseCosignTag(`sha256-${'ab'.repeat(32)}.sig`), { digest, suffix: 'sig' });
    assert.equal(parseCosignTag(`sha256-${'ab'.repeat(31)}.sig`), undefined);
    assert.equal(parseCosignTag(`sha256-${'ab'.repeat(32)}`), undefined, 'the referrers tag schema is not a cosign signature tag');
    assert.equal(parseCosignTag('v1.0.sig'), undefined);
  });
});

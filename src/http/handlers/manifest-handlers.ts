import type { FastifyReply, FastifyRequest } from 'fastify';
import { manifestTooLarge, type ManifestService } from '../../registry/manifest-service.js';
import { auditedDigest } from '../access-guard.js';
import { readLimitedBody } from '../request-body.js';

/** GET and HEAD /v2/<name>/manifests/<reference>, negotiated against Accept. */
export async function getManifest(manifests: ManifestService, name: string, reference: string,
  request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const manifest = await manifests.get(name, reference, acceptedTypes(request.headers.accept));
  reply.code(200)
    .type(manifest.mediaType)
    .header('docker-content-digest', manifest.digest)
    .header('etag', `"${manifest.digest}"`)
    .header('content-length', manifest.size);
  if (request.method === 'HEAD') return reply.send();
  return reply.send(manifest.content);
}

/** PUT /v2/<name>/manifests/<reference> (201, with OCI-Subject when the manifest has a subject). */
export async function putManifest(manifests: ManifestService, name: string, reference: string,
  request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const limit = manifests.manifestMaxBytes;
  const body = await readLimitedBody(request, limit, () => manifestTooLarge(limit));
  const pushed = await manifests.put(name, reference, body, request.headers['content-type']);
  reply.code(201)
    .header('location', `/v2/${name}/manifests/${pushed.digest}`)
    .header('docker-content-digest', pushed.digest)
    .header('content-length', 0);
  if (pushed.subject !== undefined) reply.header('oci-subject', pushed.subject);
  reply.send();
}

/** DELETE /v2/<name>/manifests/<reference> (202). */
export async function deleteManifest(manifests: ManifestService, name: string, reference: string, reply: FastifyReply): Promise<void> {
  const digest = await manifests.delete(name, reference);
  auditedDigest(reply.request, digest);
  reply.code(202).header('content-length', 0).send();
}

/** Media types named by an Accept header, parameters and weights dropped. */
function acceptedTypes(header: string | undefined): string[] {
  if (header === undefined || header.trim() === '') return [];
  return header.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase()).filter((type) => type !== '');
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import { manifestTooLarge, type ManifestService } from '../../registry/manifest-service.js';
import type { RequestContext } from '../../registry/request-context.js';
import { readLimitedBody } from '../request-body.js';

/** GET and HEAD /v2/<name>/manifests/<reference>, negotiated against Accept. */
export async function getManifest(manifests: ManifestService, context: RequestContext, name: string, reference: string,
  request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const intent = request.method === 'HEAD' ? 'check' : 'pull';
  const manifest = await manifests.get(context, name, reference, acceptedTypes(request.headers.accept), intent);
  reply.code(200)
    .type(manifest.mediaType)
    .header('docker-content-digest', manifest.digest)
    .header('etag', `"${manifest.digest}"`)
    .header('content-length', manifest.size);
  if (request.method === 'HEAD') return reply.send();
  return reply.send(manifest.content);
}

/**
 * PUT /v2/<name>/manifests/<reference>?tag=<tag>&tag=...: 201, with OCI-Subject when the manifest has a subject
 * and one OCI-Tag header per tag the push pointed at it.
 */
export async function putManifest(manifests: ManifestService, context: RequestContext, name: string, reference: string,
  request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const limit = manifests.manifestMaxBytes;
  const body = await readLimitedBody(request, limit, () => manifestTooLarge(limit));
  const pushed = await manifests.put(context, name, reference, body, request.headers['content-type'], tagParams(request));
  reply.code(201)
    .header('location', `/v2/${name}/manifests/${pushed.digest}`)
    .header('docker-content-digest', pushed.digest)
    .header('content-length', 0);
  if (pushed.subject !== undefined) reply.header('oci-subject', pushed.subject);
  if (pushed.tags.length > 0) reply.header('oci-tag', [...pushed.tags]);
  reply.send();
}

/** DELETE /v2/<name>/manifests/<reference> (202). */
export async function deleteManifest(manifests: ManifestService, context: RequestContext, name: string, reference: string,
  reply: FastifyReply): Promise<void> {
  await manifests.delete(context, name, reference);
  reply.code(202).header('content-length', 0).send();
}

/** The `tag` query parameters of a manifest PUT, however many. */
function tagParams(request: FastifyRequest): string[] {
  const value = (request.query as Record<string, string | string[] | undefined>).tag;
  return value === undefined ? [] : [value].flat();
}

/** Media types named by an Accept header, parameters and weights dropped. */
function acceptedTypes(header: string | undefined): string[] {
  if (header === undefined || header.trim() === '') return [];
  return header.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase()).filter((type) => type !== '');
}

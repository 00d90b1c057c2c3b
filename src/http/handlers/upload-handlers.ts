import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../registry/request-context.js';
import type { UploadService } from '../../registry/upload-service.js';
import { bodyStream, contentLength, queryParam } from '../request-body.js';
import { uploadLocation, withUploadProgress } from '../upload-progress.js';

/** POST /v2/<name>/blobs/uploads/: a mount (201), a monolithic upload with ?digest= (201), or a new session (202). */
export async function postUpload(uploads: UploadService, context: RequestContext, name: string,
  request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const mount = queryParam(request, 'mount');
  if (mount !== undefined) {
    const mounted = await uploads.mount(context, name, mount, queryParam(request, 'from'));
    if (mounted) return created(reply, name, mount);
  }
  const digest = queryParam(request, 'digest');
  if (digest !== undefined && mount === undefined) {
    const stored = await uploads.uploadWhole(context, name, digest, chunkOf(request));
    return created(reply, name, stored);
  }
  const id = await uploads.start(context, name);
  reply.code(202)
    .header('location', uploadLocation(name, id))
    .header('docker-upload-uuid', id)
    .header('range', '0-0')
    .header('content-length', 0)
    .send();
}

/** PATCH /v2/<name>/blobs/uploads/<id>: a streamed or ranged chunk (202 with the new Range). */
export async function patchUpload(uploads: UploadService, name: string, id: string,
  request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const size = await uploads.append(name, id, chunkOf(request));
  progress(reply.code(202), name, id, size).send();
}

/** PUT /v2/<name>/blobs/uploads/<id>?digest=: the last chunk, if any, and completion (201). */
export async function putUpload(uploads: UploadService, context: RequestContext, name: string, id: string,
  request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const digest = await uploads.complete(context, name, id, queryParam(request, 'digest') ?? '', chunkOf(request));
  created(reply, name, digest);
}

/** GET /v2/<name>/blobs/uploads/<id>: how much the session holds (204 with Range). */
export async function getUploadStatus(uploads: UploadService, name: string, id: string, reply: FastifyReply): Promise<void> {
  const size = await uploads.status(name, id);
  progress(reply.code(204), name, id, size).send();
}

/** DELETE /v2/<name>/blobs/uploads/<id>: cancels the session (204). */
export async function deleteUpload(uploads: UploadService, name: string, id: string, reply: FastifyReply): Promise<void> {
  await uploads.cancel(name, id);
  reply.code(204).send();
}

function chunkOf(request: FastifyRequest) {
  return {
    body: bodyStream(request),
    contentRange: request.headers['content-range'],
    contentLength: contentLength(request),
  };
}

function progress(reply: FastifyReply, name: string, id: string, size: number): FastifyReply {
  return withUploadProgress(reply, name, id, size).header('content-length', 0);
}

function created(reply: FastifyReply, name: string, digest: string): void {
  reply.code(201)
    .header('location', `/v2/${name}/blobs/${digest}`)
    .header('docker-content-digest', digest)
    .header('content-length', 0)
    .send();
}

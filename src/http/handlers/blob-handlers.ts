import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BlobService } from '../../registry/blob-service.js';
import type { RequestContext } from '../../registry/request-context.js';
import { sendBlob } from '../send-blob.js';

/** GET and HEAD /v2/<name>/blobs/<digest>: the bytes, or one range of them (206). */
export async function getBlob(blobs: BlobService, context: RequestContext, name: string, digest: string,
  request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('accept-ranges', 'bytes').type('application/octet-stream');
  if (request.method === 'HEAD') {
    const blob = await blobs.stat(name, digest);
    reply.header('docker-content-digest', blob.digest).header('content-length', blob.size).code(200).send();
    return;
  }
  const blob = await blobs.read(context, name, digest, request.headers.range);
  if ('redirect' in blob) {
    // As Distribution does on object storage: 307 keeps the method, and clients repeat their Range header.
    reply.code(307).header('location', blob.redirect).header('docker-content-digest', blob.digest).header('content-length', 0).send();
    return;
  }
  reply.header('docker-content-digest', blob.digest).header('etag', `"${blob.digest}"`);
  if (blob.range) {
    reply.code(206)
      .header('content-range', `bytes ${blob.range.start}-${blob.range.end}/${blob.size}`)
      .header('content-length', blob.range.end - blob.range.start + 1);
  } else {
    reply.code(200).header('content-length', blob.size);
  }
  return sendBlob(reply, blob.stream);
}

/** DELETE /v2/<name>/blobs/<digest>: unlinks the blob from the repository (202). */
export async function deleteBlob(blobs: BlobService, context: RequestContext, name: string, digest: string, reply: FastifyReply): Promise<void> {
  const deleted = await blobs.delete(context, name, digest);
  reply.code(202).header('docker-content-digest', deleted).header('content-length', 0).send();
}

import type { FastifyReply } from 'fastify';

/** The URL of an upload session, where its next chunk, its status request and its completion go. */
export function uploadLocation(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}

/**
 * Where an upload session is and what it holds (`Range: 0-<last byte>`), on every answer about a session: the
 * 202 of a chunk, the 204 of a status request, and the 416 of a chunk that does not continue the upload, so a
 * client resumes from there without asking.
 */
export function withUploadProgress(reply: FastifyReply, name: string, id: string, heldBytes: number): FastifyReply {
  return reply
    .header('location', uploadLocation(name, id))
    .header('docker-upload-uuid', id)
    .header('range', `0-${Math.max(heldBytes - 1, 0)}`);
}

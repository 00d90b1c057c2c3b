import type { FastifyReply, FastifyRequest } from 'fastify';
import { mediaTypes } from '../../oci/media-types.js';
import type { ListingService, Page } from '../../registry/listing-service.js';
import { queryParam } from '../request-body.js';

/** GET /v2/<name>/tags/list?n=&last=: one page of tags with a Link to the next. */
export async function listTags(listings: ListingService, name: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const page = await listings.tags(name, queryParam(request, 'n'), queryParam(request, 'last'));
  withNextLink(reply, `/v2/${name}/tags/list`, page).send(serialized(page, () => ({ name, tags: page.items })));
}

/** GET /v2/_catalog?n=&last=: one page of repository names with a Link to the next. */
export async function listCatalog(listings: ListingService, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const page = await listings.catalog(queryParam(request, 'n'), queryParam(request, 'last'));
  withNextLink(reply, '/v2/_catalog', page).send(serialized(page, () => ({ repositories: page.items })));
}

/** GET /v2/<name>/referrers/<digest>?artifactType=: an image index of the manifests that name it as subject. */
export async function listReferrers(listings: ListingService, name: string, digest: string,
  request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const artifactType = queryParam(request, 'artifactType');
  const referrers = await listings.referrers(name, digest, artifactType);
  if (artifactType !== undefined && artifactType !== '') reply.header('oci-filters-applied', 'artifactType');
  // Sent as bytes: a string body would gain "; charset=utf-8", and oras then takes the referrers API as absent.
  reply.code(200).type(mediaTypes.ociIndex).send(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.ociIndex,
    manifests: referrers.map((referrer) => ({
      mediaType: referrer.mediaType,
      digest: referrer.digest,
      size: referrer.size,
      ...(referrer.artifactType !== undefined && { artifactType: referrer.artifactType }),
      ...(referrer.annotations !== undefined && { annotations: referrer.annotations }),
    })),
  })));
}

/**
 * Pages come from the registry's cache as the same objects until something is written, so each page's JSON is
 * built once and reused: a large tag list polled again costs no serialisation.
 */
const bodies = new WeakMap<Page, Buffer>();

function serialized(page: Page, build: () => unknown): Buffer {
  let body = bodies.get(page);
  if (!body) {
    body = Buffer.from(JSON.stringify(build()));
    bodies.set(page, body);
  }
  return body;
}

function withNextLink(reply: FastifyReply, path: string, page: Page): FastifyReply {
  reply.code(200).type('application/json');
  if (page.next !== undefined) {
    reply.header('link', `<${path}?n=${page.limit}&last=${encodeURIComponent(page.next)}>; rel="next"`);
  }
  return reply;
}

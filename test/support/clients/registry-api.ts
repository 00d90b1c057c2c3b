import { sha256Digest } from './run.js';

/** Every manifest media type a client may ask for. */
export const allManifestTypes = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface FetchedManifest {
  readonly status: number;
  readonly bytes: Buffer;
  readonly contentType: string | null;
  readonly digestHeader: string | null;
  /** The sha256 of the bytes received. */
  readonly digest: string;
}

/** GET /v2/<repository>/manifests/<reference> straight from Berth, accepting every manifest type. */
export async function getManifest(baseUrl: string, repository: string, reference: string,
  accept: string = allManifestTypes): Promise<FetchedManifest> {
  const response = await fetch(`${baseUrl}/v2/${repository}/manifests/${reference}`, { headers: { accept } });
  const bytes = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    bytes,
    contentType: response.headers.get('content-type'),
    digestHeader: response.headers.get('docker-content-digest'),
    digest: sha256Digest(bytes),
  };
}

/** PUT /v2/<repository>/manifests/<reference>; returns the status, the digest header and the body for messages. */
export async function putManifest(baseUrl: string, repository: string, reference: string, bytes: Buffer,
  mediaType: string): Promise<{ status: number; digest: string | null; body: string }> {
  const response = await fetch(`${baseUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: new Uint8Array(bytes),
  });
  return { status: response.status, digest: response.headers.get('docker-content-digest'), body: await response.text() };
}

/** GET /v2/<repository>/tags/list, the tags (an empty list when the repository is unknown). */
export async function listTags(baseUrl: string, repository: string): Promise<string[]> {
  const response = await fetch(`${baseUrl}/v2/${repository}/tags/list`);
  if (response.status === 404) return [];
  const body = await response.json() as { tags?: string[] | null };
  return body.tags ?? [];
}

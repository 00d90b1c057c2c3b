import type { RegistryClient } from './registry.js';

/**
 * Cross-repository mount (POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<source>), which links a blob the
 * registry already holds instead of uploading it again. A 202 means the registry opened an upload instead: the
 * caller counted on the mount, so that is an error, not a fallback.
 */
export async function mountBlob(client: RegistryClient, repository: string, digest: string, from: string): Promise<void> {
  const query = new URLSearchParams({ mount: digest, from });
  const target = `/v2/${repository}/blobs/uploads/?${query.toString()}`;
  const response = await client.http.request({ method: 'POST', target, expect: [201, 202] });
  if (response.status === 202) {
    throw new Error(`POST ${target} answered 202 (an upload session) instead of 201: the registry did not mount ${digest} from ${from}`);
  }
}

import { z } from 'zod';
import { adapterFailure, adapterJson, adapterRequest, ExternalScannerError, type AdapterEndpoint } from './adapter-http.js';
import { adapterMediaTypes } from './adapter-media-types.js';

/** What Berth asks an adapter to scan, and how the adapter pulls it. */
export interface ScanTarget {
  /** Berth's base URL as the adapter reaches it; the adapter speaks the Distribution API under `/v2/`. */
  readonly registryUrl: string;
  /** The Authorization header the adapter sends to the registry: `Bearer <a short-lived pull token>`. */
  readonly authorization: string;
  readonly repository: string;
  readonly digest: string;
  readonly tag?: string | undefined;
  /** The manifest's media type. */
  readonly mediaType: string;
}

const scanResponse = z.object({ id: z.string().min(1).max(1_000) }).passthrough();

/**
 * `POST /api/v1/scan`: hands the adapter the registry, the pull token and the artifact; it answers 202 with the id
 * of the scan, whose report is then polled. Any other answer (400, 422, 500, 501) is the adapter refusing the scan.
 */
export async function requestAdapterScan(endpoint: AdapterEndpoint, target: ScanTarget, signal: AbortSignal): Promise<string> {
  const body = {
    registry: { url: target.registryUrl, authorization: target.authorization },
    artifact: { repository: target.repository, digest: target.digest, ...(target.tag !== undefined && { tag: target.tag }), mime_type: target.mediaType },
    enabled_capabilities: [{ type: 'vulnerability' }],
  };
  const response = await adapterRequest(endpoint, 'POST', '/scan', {
    accept: `${adapterMediaTypes.scanResponse}, ${adapterMediaTypes.error}`, body, contentType: adapterMediaTypes.scanRequest, signal,
  });
  if (response.status !== 202) throw await adapterFailure(endpoint, `POST /api/v1/scan of ${target.repository}@${target.digest}`, response);
  const parsed = scanResponse.safeParse(await adapterJson(endpoint, 'a scan response', response));
  if (!parsed.success) throw new ExternalScannerError(endpoint.name, 'invalid', `external scanner ${endpoint.name} accepted the scan but sent no scan id`);
  return parsed.data.id;
}

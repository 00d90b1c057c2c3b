import { z } from 'zod';
import { adapterFailure, adapterJson, adapterRequest, ExternalScannerError, type AdapterEndpoint } from './adapter-http.js';
import { adapterMediaTypes, imageManifestTypes, reportMediaTypes, sameMediaType, type ReportMediaType } from './adapter-media-types.js';

/** What an adapter says of itself (`GET /api/v1/metadata`), with the report format Berth will ask it for. */
export interface AdapterMetadata {
  readonly scanner: { readonly name: string; readonly vendor: string; readonly version: string };
  /** The vulnerability report format chosen from those it produces: v1.1 when offered, else Harbor's v1.0. */
  readonly reportMediaType: ReportMediaType;
  /** The manifest types it scans. */
  readonly consumes: readonly string[];
  /** Its free-form properties (`harbor.scanner-adapter/…`: scanner type, database update time). */
  readonly properties: Readonly<Record<string, string>>;
}

const text = z.string().max(1_000);
const metadataBody = z.object({
  scanner: z.object({ name: text.default(''), vendor: text.default(''), version: text.default('') }).passthrough(),
  capabilities: z.array(z.object({
    // Optional in the spec: a capability without a type is a vulnerability scan (v1.0 adapters).
    type: z.string().optional(),
    consumes_mime_types: z.array(text).max(100),
    produces_mime_types: z.array(text).max(100),
  }).passthrough()).max(100),
  properties: z.record(z.unknown()).optional(),
}).passthrough();

/**
 * Reads and checks an adapter's metadata: it must offer a vulnerability capability that consumes image manifests
 * and produces a report format Berth reads. Both the v1.1 and the v1.0 metadata answer are accepted.
 */
export async function fetchAdapterMetadata(endpoint: AdapterEndpoint, signal: AbortSignal): Promise<AdapterMetadata> {
  const response = await adapterRequest(endpoint, 'GET', '/metadata', { accept: `${adapterMediaTypes.metadata}, ${adapterMediaTypes.metadataV10}`, signal });
  if (response.status !== 200) throw await adapterFailure(endpoint, 'GET /api/v1/metadata', response);
  return parseAdapterMetadata(endpoint.name, await adapterJson(endpoint, 'metadata', response));
}

/** The metadata body as Berth uses it (exported for unit tests). */
export function parseAdapterMetadata(scanner: string, body: unknown): AdapterMetadata {
  const parsed = metadataBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ExternalScannerError(scanner, 'invalid', `external scanner ${scanner} sent metadata Berth cannot read (${issue.path.join('.') || 'body'}: ${issue.message})`);
  }
  const { capabilities, properties } = parsed.data;
  const vulnerability = capabilities.filter((capability) => (capability.type ?? 'vulnerability') === 'vulnerability'
    && capability.consumes_mime_types.some((type) => imageManifestTypes.some((image) => sameMediaType(type, image))));
  const produced = vulnerability.flatMap((capability) => capability.produces_mime_types);
  const reportMediaType = reportMediaTypes.find((wanted) => produced.some((type) => sameMediaType(type, wanted)));
  if (reportMediaType === undefined) {
    throw new ExternalScannerError(scanner, 'invalid', `external scanner ${scanner} offers no vulnerability report of image manifests that Berth reads `
      + `(it produces ${produced.length === 0 ? 'none' : produced.join(', ')}; Berth reads ${reportMediaTypes.join(' or ')})`);
  }
  return {
    scanner: { name: parsed.data.scanner.name, vendor: parsed.data.scanner.vendor, version: parsed.data.scanner.version },
    reportMediaType,
    consumes: [...new Set(vulnerability.flatMap((capability) => capability.consumes_mime_types))],
    properties: Object.fromEntries(Object.entries(properties ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
  };
}

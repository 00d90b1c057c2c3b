/**
 * The media types of Harbor's Pluggable Scanner API (v1.1, v1.2; goharbor/pluggable-scanner-spec). Each request and
 * answer names its version in the media type, so a client says which versions it reads in `Accept`.
 */
export const adapterMediaTypes = {
  metadata: 'application/vnd.scanner.adapter.metadata+json; version=1.1',
  /** Adapters written for v1.0 still answer this; its body is the same. */
  metadataV10: 'application/vnd.scanner.adapter.metadata+json; version=1.0',
  scanRequest: 'application/vnd.scanner.adapter.scan.request+json; version=1.1',
  scanResponse: 'application/vnd.scanner.adapter.scan.response+json; version=1.0',
  error: 'application/vnd.scanner.adapter.error+json; version=1.0',
} as const;

/** The vulnerability report formats Berth reads, the preferred first; both have the same body. */
export const reportMediaTypes = [
  'application/vnd.security.vulnerability.report; version=1.1',
  'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
] as const;

export type ReportMediaType = (typeof reportMediaTypes)[number];

/** The artifact types an adapter must consume for Berth to hand it images. */
export const imageManifestTypes = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'] as const;

/** A media type without its parameters' spacing differences: `a; version=1.1` and `a;version=1.1` are the same. */
export function sameMediaType(a: string, b: string): boolean {
  const normal = (value: string) => value.split(';').map((part) => part.trim().toLowerCase()).join(';');
  return normal(a) === normal(b);
}

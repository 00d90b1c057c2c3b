import { RegistryError } from '../errors/registry-error.js';

/** The endpoints of the distribution API, told apart by the path under /v2/. */
export type V2Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'tags'; name: string }
  | { kind: 'referrers'; name: string; digest: string };

// Names hold slashes, so the fixed tail decides the endpoint and everything before it is the name (end-1..end-8
// of https://github.com/opencontainers/distribution-spec/blob/main/spec.md#endpoints). Patterns match the raw path
// and each part is decoded after, so an escaped slash stays inside its part (an upload id "..%2Fx" is one bad id).
const patterns: [RegExp, (parts: string[]) => V2Route][] = [
  [/^(.+)\/blobs\/uploads\/?$/, ([name]) => ({ kind: 'uploads', name: name! })],
  [/^(.+)\/blobs\/uploads\/([^/]+)$/, ([name, id]) => ({ kind: 'upload', name: name!, id: id! })],
  [/^(.+)\/blobs\/([^/]+)$/, ([name, digest]) => ({ kind: 'blob', name: name!, digest: digest! })],
  [/^(.+)\/manifests\/([^/]+)$/, ([name, reference]) => ({ kind: 'manifest', name: name!, reference: reference! })],
  [/^(.+)\/tags\/list$/, ([name]) => ({ kind: 'tags', name: name! })],
  [/^(.+)\/referrers\/([^/]+)$/, ([name, digest]) => ({ kind: 'referrers', name: name!, digest: digest! })],
];

/** Parses the raw request URL; undefined when it names no endpoint. */
export function parseV2Path(rawUrl: string): V2Route | undefined {
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  if (path === '/v2' || path === '/v2/') return { kind: 'base' };
  if (!path.startsWith('/v2/')) return undefined;
  const rest = path.slice(4);
  if (rest === '_catalog') return { kind: 'catalog' };
  for (const [pattern, build] of patterns) {
    const match = pattern.exec(rest);
    if (match) return build(match.slice(1).map(decodePart));
  }
  return undefined;
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new RegistryError('NAME_INVALID', 'the request path is not valid percent-encoding: check the repository name and reference');
  }
}

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
// of https://github.com/opencontainers/distribution-spec/blob/main/spec.md#endpoints).
const patterns: [RegExp, (m: RegExpExecArray) => V2Route][] = [
  [/^(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: m[1]! })],
  [/^(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, id: m[2]! })],
  [/^(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: m[2]! })],
  [/^(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: m[2]! })],
  [/^(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, digest: m[2]! })],
];

/** Parses the raw request URL; undefined when it names no endpoint. */
export function parseV2Path(rawUrl: string): V2Route | undefined {
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  if (path === '/v2' || path === '/v2/') return { kind: 'base' };
  if (!path.startsWith('/v2/')) return undefined;
  let rest: string;
  try {
    rest = decodeURIComponent(path.slice(4));
  } catch {
    throw new RegistryError('NAME_INVALID', 'the request path is not valid percent-encoding: check the repository name');
  }
  if (rest === '_catalog') return { kind: 'catalog' };
  for (const [pattern, build] of patterns) {
    const match = pattern.exec(rest);
    if (match) return build(match);
  }
  return undefined;
}

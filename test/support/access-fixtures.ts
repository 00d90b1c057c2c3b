import { createHash, randomBytes } from 'node:crypto';
import type { Berth } from '../../src/app.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { hashSecret } from '../../src/auth/secrets.js';
import type { ProjectRole, RobotPermission } from '../../src/metadata/access-store.js';

export { basic } from './basic-auth.js';

const sha = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * Pushes a one-layer image with the given Authorization header (or none), in the spec's monolithic form; answers
 * the manifest digest, or throws with the first refusal's status and body.
 */
export async function pushImage(base: string, repository: string, tag: string, authorization?: string): Promise<string> {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const layer = randomBytes(64);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
  for (const blob of [layer, config]) {
    const response = await fetch(`${base}/v2/${repository}/blobs/uploads/?digest=${sha(blob)}`, {
      method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: new Uint8Array(blob),
    });
    if (response.status !== 201) throw new Error(`blob push to ${repository}: ${response.status} ${await response.text()}`);
  }
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
  }));
  const response = await fetch(`${base}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT', headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: new Uint8Array(manifest),
  });
  if (response.status !== 201) throw new Error(`manifest push to ${repository}: ${response.status} ${await response.text()}`);
  return sha(manifest);
}

/** Users, projects, roles and robots written straight into a Berth's access store, for protocol tests. */
export class AccessFixtures {
  constructor(private readonly berth: Berth) {}

  get store() {
    return this.berth.access.store;
  }

  async user(username: string, password: string, options: { admin?: boolean } = {}): Promise<number> {
    const user = await this.store.createUser({
      username, source: 'local', passwordHash: await hashPassword(password), admin: options.admin ?? false, now: Date.now(),
    });
    return user.id;
  }

  async project(name: string, isPublic: boolean): Promise<number> {
    return (await this.store.createProject({ name, public: isPublic, createdBy: 'admin', now: Date.now() })).id;
  }

  async role(project: string, username: string, role: ProjectRole): Promise<void> {
    const found = await this.store.projectByName(project);
    const user = await this.store.userByName(username);
    await this.store.setMember(found!.id, { kind: 'user', id: user!.id }, role, Date.now());
  }

  /** A robot account; answers its login name and secret. */
  async robot(name: string, permissions: RobotPermission[], options: { expiresAt?: number } = {}): Promise<{ username: string; secret: string }> {
    const secret = `berth_rbt_${randomBytes(32).toString('base64url')}`;
    await this.store.createRobot({
      name: `robot$${name}`, secretHash: hashSecret(secret), permissions, expiresAt: options.expiresAt, createdBy: 'admin', now: Date.now(),
    });
    return { username: `robot$${name}`, secret };
  }
}

/** Fetches a registry token the way docker does: GET /auth/token with Basic credentials (or none) and scopes. */
export async function fetchToken(base: string, scopes: string[], authorization?: string): Promise<string> {
  const query = new URLSearchParams([['service', 'berth'], ...scopes.map((scope) => ['scope', scope] as [string, string])]);
  const response = await fetch(`${base}/auth/token?${query}`, { headers: authorization ? { authorization } : {} });
  if (response.status !== 200) throw new Error(`token request: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

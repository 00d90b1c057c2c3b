import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Global flags that give podman or buildah a private image store under `dir` (vfs: no overlay mounts to clean up),
 * so the tests neither read nor change the machine's own /var/lib/containers.
 */
export function podmanStorageFlags(dir: string): string[] {
  for (const sub of ['root', 'runroot', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  return [
    '--root', join(dir, 'root'),
    '--runroot', join(dir, 'runroot'),
    '--tmpdir', join(dir, 'tmp'),
    '--storage-driver', 'vfs',
    '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'none',
  ];
}

export function buildahStorageFlags(dir: string): string[] {
  for (const sub of ['root', 'runroot']) mkdirSync(join(dir, sub), { recursive: true });
  return ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', 'vfs'];
}

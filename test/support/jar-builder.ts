import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Java archives as the build tools write them, made by Info-ZIP's `zip` from a folder: directory entries and
 * deflated files, and nested `.jar`s either stored (`-n .jar`), as Spring Boot's loader needs them, or deflated, as
 * maven-war-plugin leaves them in `WEB-INF/lib`. A jar is a zip; Maven puts
 * `META-INF/maven/<group>/<artifact>/pom.properties` in each one it builds.
 */
export function zipFolder(folder: string, archive: string, nestedJars: 'stored' | 'deflated' = 'stored'): void {
  mkdirSync(dirname(archive), { recursive: true });
  const store = nestedJars === 'stored' ? ['-n', '.jar'] : [];
  const run = spawnSync('zip', ['-q', '-r', '-X', ...store, archive, '.'], { cwd: folder, encoding: 'utf8' });
  assert.equal(run.status, 0, `zip (Debian's zip; scripts/install-test-deps.sh installs it) failed: ${run.error?.message ?? run.stderr}`);
}

/** A pom.properties as maven-archiver writes it. */
export function pomProperties(groupId: string, artifactId: string, version: string): string {
  return `#Created by Apache Maven 3.8.7\nartifactId=${artifactId}\ngroupId=${groupId}\nversion=${version}\n`;
}

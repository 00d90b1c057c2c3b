import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ConflictError } from '../errors/backend-errors.js';
import type { AccessStore } from '../metadata/access-store.js';
import { hashPassword, verifyPassword } from './passwords.js';

export const adminUsername = 'admin';

/**
 * Makes sure the first administrator exists. On the first start with access control on, the user "admin" is
 * created with the configured password (BERTH_ADMIN_PASSWORD), or with a generated one that is printed once, since
 * it is stored only as a hash. Later starts leave the user as it is: its password is changed through the API or
 * the CLI, and a configured password that differs is reported, not applied, so that an old environment file can
 * never quietly reset it.
 */
export async function bootstrapAdmin(store: AccessStore, configured: string | undefined, log: Logger,
  announce: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<void> {
  const existing = await store.userByName(adminUsername);
  if (existing) {
    if (configured !== undefined && existing.passwordHash && !await verifyPassword(existing.passwordHash, configured)) {
      log.warn('BERTH_ADMIN_PASSWORD differs from the password of the existing user "admin" and was not applied: it is used only when "admin" is first created; change the password with "berth user passwd admin" or the API');
    }
    return;
  }
  const password = configured ?? randomBytes(18).toString('base64url');
  try {
    await store.createUser({ username: adminUsername, source: 'local', passwordHash: await hashPassword(password), admin: true, now: Date.now() });
  } catch (error) {
    // Another node of the cluster created it at the same moment.
    if (error instanceof ConflictError) return;
    throw error;
  }
  if (configured === undefined) {
    announce(`berth: created the administrator "${adminUsername}" with the password ${password}`);
    announce('berth: store it now: it is not shown again (change it with "berth user passwd admin")');
  }
  log.info({ user: adminUsername, generated: configured === undefined }, 'first administrator created');
}

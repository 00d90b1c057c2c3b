import type { Kysely } from 'kysely';
import { schemaDialect } from './dialect.js';

/**
 * Identity and access: users, groups, projects and their members, robot accounts, personal tokens (CLI secrets),
 * the token signing key shared by every node, failed-login counters and the audit log. Flags are integers (0/1) so
 * that SQLite and PostgreSQL read them alike.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { serial, bytewise } = schemaDialect(db);
  const id = (c: any) => (serial === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey());

  await db.schema.createTable('users')
    .addColumn('id', serial, id)
    .addColumn('username', 'text', (c) => bytewise(c).notNull().unique())
    .addColumn('email', 'text')
    .addColumn('display_name', 'text')
    /** 'local' (password here), 'ldap' or 'oidc' (the identity provider vouches; no password here). */
    .addColumn('source', 'text', (c) => c.notNull())
    /**
     * The identity provider's own, stable name for the user (an OIDC issuer and subject), so that a rename at the
     * provider keeps the Berth user, and a name the provider hands to someone else later does not take it over.
     */
    .addColumn('external_id', 'text', (c) => bytewise(c))
    .addColumn('password_hash', 'text')
    .addColumn('admin', 'integer', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_login_at', 'bigint')
    .execute();
  await db.schema.createIndex('users_external').on('users').columns(['source', 'external_id']).unique().execute();

  await db.schema.createTable('groups')
    .addColumn('id', serial, id)
    .addColumn('name', 'text', (c) => bytewise(c).notNull().unique())
    /** 'local' (members listed here), or 'ldap' / 'oidc' (members told by the provider at each login). */
    .addColumn('source', 'text', (c) => c.notNull())
    /** The provider's name for the group: an LDAP group DN or an OIDC groups-claim value. */
    .addColumn('external_name', 'text', (c) => bytewise(c))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('groups_external').on('groups').columns(['source', 'external_name']).unique().execute();

  await db.schema.createTable('group_members')
    .addColumn('group_id', 'bigint', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
    .execute();
  await db.schema.createIndex('group_members_user').on('group_members').column('user_id').execute();

  await db.schema.createTable('projects')
    .addColumn('id', serial, id)
    .addColumn('name', 'text', (c) => bytewise(c).notNull().unique())
    .addColumn('public', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('project_members')
    .addColumn('project_id', 'bigint', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    /** 'user' or 'group'. */
    .addColumn('member_kind', 'text', (c) => c.notNull())
    .addColumn('member_id', 'bigint', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_members_pk', ['project_id', 'member_kind', 'member_id'])
    .execute();
  await db.schema.createIndex('project_members_member').on('project_members').columns(['member_kind', 'member_id']).execute();

  await db.schema.createTable('robots')
    .addColumn('id', serial, id)
    .addColumn('name', 'text', (c) => bytewise(c).notNull().unique())
    .addColumn('description', 'text')
    /** sha256 of the secret: secrets are 256 random bits, so a slow hash would add nothing but latency. */
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    /** JSON: [{ project, actions }], project "*" meaning every project. */
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();

  await db.schema.createTable('personal_tokens')
    .addColumn('id', serial, id)
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => bytewise(c).notNull().unique())
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('personal_tokens_user').on('personal_tokens').column('user_id').execute();

  /** Keys that sign registry tokens and sessions; every node signs with the oldest and verifies with any. */
  await db.schema.createTable('signing_keys')
    .addColumn('kid', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('private_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  /** Browser sessions ended before their time (signed out), until they would have expired anyway. */
  await db.schema.createTable('revoked_sessions')
    .addColumn('jti', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  /** Failed logins per key ("user:<name>" or "address:<ip>") within the current window. */
  await db.schema.createTable('login_failures')
    .addColumn('key', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('audit_events')
    .addColumn('id', serial, id)
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => bytewise(c).notNull())
    /** 'user', 'robot', 'anonymous' or 'system'. */
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => bytewise(c).notNull())
    .addColumn('repository', 'text', (c) => bytewise(c))
    .addColumn('digest', 'text')
    .addColumn('tag', 'text')
    .addColumn('address', 'text')
    /** 'ok', 'denied' or 'failed'. */
    .addColumn('outcome', 'text', (c) => c.notNull())
    /** JSON with what else the action needs to be understood (the target of an admin change, the reason of a refusal). */
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
  await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['actor', 'id']).execute();
  await db.schema.createIndex('audit_events_repository').on('audit_events').columns(['repository', 'id']).execute();
  await db.schema.createIndex('audit_events_action').on('audit_events').columns(['action', 'id']).execute();

  // Repositories pushed before access control existed belong to projects too (private, as any new project), so that
  // turning access control on later leaves none of them outside every project's rules.
  const now = Date.now();
  const names = new Set<string>();
  for (const { name } of await db.selectFrom('repositories').select('name').execute() as { name: string }[]) {
    names.add(name.split('/')[0]!);
  }
  for (const name of names) {
    await db.insertInto('projects').values({ name, public: 0, created_by: null, created_at: now, updated_at: now }).execute();
  }
}

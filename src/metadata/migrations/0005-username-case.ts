import { sql, type Kysely } from 'kysely';

/**
 * Usernames become case-insensitive (`metadata/username-key.ts`): at most one user per lower-cased name. Users that
 * already differ only in case are not merged or renamed here, since either could be the one people log in as; the
 * migration stops and names them, for an administrator to decide.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ username: string }>`
    select username from users
    where lower(username) in (select lower(username) from users group by lower(username) having count(*) > 1)
    order by lower(username), username`.execute(db);
  if (rows.length > 0) {
    const names = rows.map((row) => `"${row.username}"`).join(', ');
    throw new Error(`usernames are now case-insensitive, but these users differ only in case: ${names}. `
      + 'Keep one of each: delete the others with the previous Berth (DELETE /api/v1/users/<name>), then start this one again');
  }
  await db.schema.createIndex('users_username_lower').on('users').unique().expression(sql`lower(username)`).execute();
}

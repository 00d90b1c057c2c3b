import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { SqliteDatabase as KyselySqliteDatabase } from 'kysely';

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running the small statements of a
 * push. Kysely compiles the same SQL text for the same query shape, so statements are kept by their text and
 * reused. Bounded, oldest dropped first: shapes that vary with list lengths (IN lists) could otherwise grow it.
 */
export function withStatementCache(database: SqliteDatabase, maxStatements = 256): KyselySqliteDatabase {
  const statements = new Map<string, Statement>();
  return {
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        statements.set(sql, statement);
        if (statements.size > maxStatements) statements.delete(statements.keys().next().value!);
      }
      return statement;
    },
    close() {
      statements.clear();
      database.close();
    },
  };
}

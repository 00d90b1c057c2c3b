import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type Kysely, type RawBuilder } from 'kysely';

/**
 * What a migration writes differently per database. SQLite's statements stay exactly as first released; PostgreSQL
 * gets its own types where the two differ.
 */
export interface SchemaDialect {
  readonly postgres: boolean;
  /** Byte strings: SQLite's blob, PostgreSQL's bytea. */
  readonly binary: RawBuilder<unknown>;
  /** An auto-numbered key: SQLite's integer primary key, PostgreSQL's bigserial. */
  readonly serial: 'integer' | 'bigserial';
  /**
   * A name or digest compared and sorted as bytes, as SQLite does and as keyset pagination and the spec's lexical
   * order expect. PostgreSQL would otherwise sort by the database's locale (so that "B" and "a" change places).
   */
  bytewise(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}

export function schemaDialect(db: Kysely<any>): SchemaDialect {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    postgres,
    binary: postgres ? sql`bytea` : sql`blob`,
    serial: postgres ? 'bigserial' : 'integer',
    bytewise: (column) => (postgres ? column.modifyFront(sql`collate "C"`) : column),
  };
}

import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

/**
 * A query Kysely builds and compiles once, run with new parameters each time: for reads a hot path repeats after
 * every write (a cache refill), where building and compiling cost more than the database's work. `query` is built
 * with placeholder values, in the order the parameters will be passed.
 */
export function precompiled<Row>(db: Kysely<any>, query: Compilable<Row>): (...parameters: unknown[]) => Promise<Row[]> {
  const { sql } = query.compile();
  return async (...parameters) => (await db.executeQuery<Row>(CompiledQuery.raw(sql, parameters))).rows;
}

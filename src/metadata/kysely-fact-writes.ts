import type { Transaction } from 'kysely';
import { artifactFactRows, type ArtifactFacts } from './artifact-facts.js';
import type { Database } from './database-schema.js';
import { slices } from './slices.js';

/** An artifact's facts, in the transaction that stores its manifest (see artifact-facts.ts). */
export async function insertFacts(trx: Transaction<Database>, digest: string, facts: ArtifactFacts,
  annotations: Readonly<Record<string, string>> | undefined): Promise<void> {
  const rows = artifactFactRows(digest, facts, annotations);
  await trx.insertInto('artifacts').values(rows.artifact).onConflict((oc) => oc.column('digest').doNothing()).execute();
  for (const slice of slices(rows.platforms)) {
    await trx.insertInto('artifact_platforms').values(slice).onConflict((oc) => oc.columns(['digest', 'child_digest']).doNothing()).execute();
  }
  for (const slice of slices(rows.properties)) {
    await trx.insertInto('artifact_properties').values(slice).onConflict((oc) => oc.columns(['digest', 'source', 'key']).doNothing()).execute();
  }
}

import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import formats from 'ajv-formats';

const folder = new URL('../fixtures/scanning/sbom/schemas/', import.meta.url);
const schemaFiles = ['bom-1.6.schema.json', 'spdx.schema.json', 'jsf-0.82.schema.json', 'spdx-schema.json'] as const;

/**
 * The official CycloneDX 1.6 and SPDX 2.3 JSON schemas (copies under test/fixtures/scanning/sbom/schemas), checked by
 * ajv, the validator Fastify itself uses. CycloneDX's schema names its dependencies by `$id`, so all are loaded.
 */
const ajv = new Ajv({ allErrors: true, strict: false });
// ajv-formats is CommonJS with its function on `default`.
(formats as unknown as { default: (ajv: Ajv) => void }).default(ajv);
for (const file of schemaFiles) ajv.addSchema(JSON.parse(readFileSync(new URL(file, folder), 'utf8')), file);

/** What the schema in `file` finds wrong with `document` ("<path>: <message>"); empty when it is valid. */
export function schemaErrors(file: 'bom-1.6.schema.json' | 'spdx-schema.json', document: unknown): string[] {
  const validate = ajv.getSchema(file)!;
  return validate(document) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '$'}: ${error.message}`);
}

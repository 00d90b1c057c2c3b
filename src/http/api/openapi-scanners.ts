import { errorResponse, nullable, object, operation, ref, time, type Schema } from './openapi-kit.js';

/** The OpenAPI description of the scanners: the built-in one and external ones (Harbor's Pluggable Scanner API). */

export const scannerSchemas: Record<string, Schema> = {
  ScannerHealth: object({
    status: { type: 'string', enum: ['up', 'down', 'unknown'], description: 'Whether the adapter\'s metadata answered at the last check (unknown: not checked yet).' },
    checkedAt: time('When it was last checked.'),
    error: nullable('string', { description: 'Why it is down: the scanner, the address or the HTTP status, and the adapter\'s words.' }),
  }),
  Scanner: object({
    name: { type: 'string', description: 'berth for the built-in scanner; else the configured name (scanning.external[].name), as reports tag findings.' },
    kind: { type: 'string', enum: ['built-in', 'external'] },
    active: { type: 'boolean', description: 'Whether it scans images: the built-in scanner does not when an external scanner is used instead of it.' },
    use: nullable('string', { enum: ['instead', 'beside', null], description: 'An external scanner\'s role: its report instead of the built-in scanner\'s, or beside it.' }),
    url: nullable('string', { description: 'The adapter\'s URL (system administrators only; null otherwise and for the built-in scanner).' }),
    timeoutSeconds: nullable('integer', { description: 'How long one scan may take, request to report.' }),
    health: ref('ScannerHealth'),
    adapter: {
      type: ['object', 'null'], description: 'What the adapter says of its scanner (GET /api/v1/metadata): name, vendor, version.',
      properties: { name: { type: 'string' }, vendor: { type: 'string' }, version: { type: 'string' } },
    },
    reportMediaType: nullable('string', { description: 'The report format Berth asks the adapter for, chosen from those it produces.' }),
    properties: { type: 'object', additionalProperties: { type: 'string' }, description: 'The adapter\'s own properties (harbor.scanner-adapter/…).' },
  }),
  ScannerList: object({ items: { type: 'array', items: ref('Scanner') } }),
};

/** Readable without credentials (what a pull needs), answered 405 while scanning is off: as the reports. */
function readableWhileOn(described: Schema): Schema {
  return {
    ...described, security: [{}, { basic: [] }, { session: [] }],
    responses: { ...(described.responses as Schema), 405: errorResponse('UNSUPPORTED: scanning is turned off on this registry (scanning.enabled).') },
  };
}

export const scannerPaths: Record<string, Record<string, Schema>> = {
  '/api/v1/scanners': {
    get: readableWhileOn(operation('listScanners', {
      summary: 'The scanners: the built-in one and each external scanner, whether it scans, and each adapter\'s health and metadata.',
      description: 'External scanners speak Harbor\'s Pluggable Scanner API (scanning.external). Their metadata is checked at start and again '
        + 'when a listing finds the last check older than 30 seconds.',
      tag: 'vulnerabilities', public: true, response: 'ScannerList', errors: [401, 429],
    })),
  },
};

import type { FastifyInstance } from 'fastify';
import { RegistryError } from '../../errors/registry-error.js';
import type { ExternalScanner } from '../../features/scanning/external/external-scanner.js';
import { builtInScanner } from '../../features/scanning/scan-service.js';
import type { RegistryServices } from '../registry-services.js';
import type { ApiContext } from './api-auth.js';

/**
 * The scanners: the built-in one and each external scanner (Harbor's Pluggable Scanner API), whether each scans
 * images, and each adapter's health and metadata, checked again when the last check is half a minute old. Readable
 * by whoever may read reports; an adapter's URL (the network's layout) is shown to system administrators only.
 */
export function registerScannerRoutes(app: FastifyInstance, api: ApiContext, services: RegistryServices): void {
  app.get('/api/v1/scanners', async (request, reply) => {
    const principal = await api.viewer(request);
    const scans = services.scans;
    if (scans === undefined) throw new RegistryError('UNSUPPORTED', 'vulnerability scanning is turned off on this registry (scanning.enabled: false)');
    const showUrls = !api.accessEnabled || (principal.kind === 'user' && principal.admin);
    const external = scans.external;
    const externals = external ? await external.scanners.current() : [];
    reply.send({
      items: [
        {
          name: builtInScanner, kind: 'built-in', active: external?.builtInRuns ?? true, use: null, url: null, timeoutSeconds: null,
          health: { status: 'up', checkedAt: null, error: null }, adapter: null, reportMediaType: null, properties: {},
        },
        ...externals.map((scanner) => externalView(scanner, showUrls)),
      ],
    });
  });
}

function externalView(scanner: ExternalScanner, showUrl: boolean) {
  const { health, config } = scanner;
  return {
    name: scanner.name, kind: 'external', active: true, use: config.use, url: showUrl ? config.url : null, timeoutSeconds: config.timeoutSeconds,
    health: { status: health.status, checkedAt: health.checkedAt === undefined ? null : new Date(health.checkedAt).toISOString(), error: health.error ?? null },
    adapter: health.metadata?.scanner ?? null, reportMediaType: health.metadata?.reportMediaType ?? null, properties: health.metadata?.properties ?? {},
  };
}

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scanner adapter speaking Harbor's Pluggable Scanner API (v1.1/1.2), written for the tests since Trivy's adapter
 * cannot be installed here. It answers its metadata; takes `POST /api/v1/scan` (202 with an id); pulls the image's
 * manifest from the registry URL with the Authorization the request carried, as a real adapter would, and fails the
 * scan when it cannot; answers the report with 302 and `Refresh-After` for the first polls, then 200. Its
 * `behaviour` can be changed between tests: the spec's error answers (400/500 with the error body), a report that
 * is never ready, what it reports.
 */

export const adapterTypes = {
  metadata: 'application/vnd.scanner.adapter.metadata+json; version=1.1',
  scanRequest: 'application/vnd.scanner.adapter.scan.request+json; version=1.1',
  scanResponse: 'application/vnd.scanner.adapter.scan.response+json; version=1.0',
  reportV11: 'application/vnd.security.vulnerability.report; version=1.1',
  reportV10: 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
  error: 'application/vnd.scanner.adapter.error+json; version=1.0',
} as const;

/** One vulnerability as a Harbor report lists it. */
export interface AdapterVulnerability {
  id: string;
  package: string;
  version: string;
  fix_version?: string;
  severity: 'Unknown' | 'Negligible' | 'Low' | 'Medium' | 'High' | 'Critical';
  description?: string;
  links?: string[];
  preferred_cvss?: { score_v3?: number; score_v2?: number };
}

export interface AdapterBehaviour {
  /** The report formats its metadata advertises. */
  produces: string[];
  /** 302s before the report is ready (each with `Refresh-After: 1`). */
  pollsBeforeReady: number;
  /** Never ready: every poll answers 302. */
  neverReady: boolean;
  /** Refuse `POST /scan` with this status and the spec's error body. */
  rejectScan?: { status: number; message: string } | undefined;
  /** Fail the report with this status and the spec's error body. */
  failReport?: { status: number; message: string } | undefined;
  vulnerabilities: AdapterVulnerability[];
}

/** What the adapter saw of one scan request. */
export interface AdapterScan {
  readonly id: string;
  readonly contentType: string | undefined;
  /** The Authorization Berth sent to the adapter. */
  readonly adapterAuthorization: string | undefined;
  readonly request: { registry: { url: string; authorization?: string }; artifact: { repository: string; digest: string; tag?: string; mime_type: string } };
  /** The status of the adapter's pull of the manifest from the registry (undefined until it is done). */
  pullStatus: number | undefined;
  /** The Accept headers of its report polls. */
  readonly polls: string[];
}

export interface ScannerAdapter {
  readonly url: string;
  readonly scans: AdapterScan[];
  /** The Accept headers of the metadata requests. */
  readonly metadataRequests: string[];
  behaviour: AdapterBehaviour;
  close(): Promise<void>;
}

const defaultBehaviour = (): AdapterBehaviour => ({
  produces: [adapterTypes.reportV10, adapterTypes.reportV11], pollsBeforeReady: 2, neverReady: false, vulnerabilities: [],
});

export async function startScannerAdapter(options: { expectAuthorization?: string; scanner?: string } = {}): Promise<ScannerAdapter> {
  const scans: AdapterScan[] = [];
  const metadataRequests: string[] = [];
  const pulls = new Map<string, Promise<void>>();
  const adapter: ScannerAdapter = {
    url: '', scans, metadataRequests, behaviour: defaultBehaviour(),
    close: async () => {
      await Promise.allSettled(pulls.values());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const scanner = { name: options.scanner ?? 'Trivy', vendor: 'Aqua Security', version: '0.50.1' };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => sendError(response, 500, String(error)));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (options.expectAuthorization !== undefined && request.headers.authorization !== options.expectAuthorization) {
      sendError(response, 401, 'the adapter wants its own credentials');
      return;
    }
    const path = (request.url ?? '').split('?')[0]!;
    if (request.method === 'GET' && path === '/api/v1/metadata') {
      metadataRequests.push(request.headers.accept ?? '');
      send(response, 200, adapterTypes.metadata, {
        scanner,
        capabilities: [{
          type: 'vulnerability',
          consumes_mime_types: ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'],
          produces_mime_types: adapter.behaviour.produces,
        }],
        properties: { 'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability' },
      });
      return;
    }
    if (request.method === 'POST' && path === '/api/v1/scan') {
      const rejected = adapter.behaviour.rejectScan;
      if (rejected) {
        sendError(response, rejected.status, rejected.message);
        return;
      }
      const scan: AdapterScan = {
        id: randomUUID(), contentType: request.headers['content-type'], adapterAuthorization: request.headers.authorization,
        request: JSON.parse(body.toString('utf8')) as AdapterScan['request'], pullStatus: undefined, polls: [],
      };
      scans.push(scan);
      // As a real adapter does: pull what it was asked to scan, with the credentials it was handed.
      pulls.set(scan.id, pullManifest(scan));
      send(response, 202, adapterTypes.scanResponse, { id: scan.id });
      return;
    }
    const report = /^\/api\/v1\/scan\/([^/]+)\/report$/.exec(path);
    if (request.method === 'GET' && report) {
      const scan = scans.find((candidate) => candidate.id === decodeURIComponent(report[1]!));
      if (scan === undefined) {
        sendError(response, 404, 'no such scan request');
        return;
      }
      scan.polls.push(request.headers.accept ?? '');
      await pulls.get(scan.id);
      const { behaviour } = adapter;
      if (behaviour.neverReady || scan.polls.length <= behaviour.pollsBeforeReady) {
        response.writeHead(302, { 'refresh-after': '1' }).end();
        return;
      }
      if (behaviour.failReport) {
        sendError(response, behaviour.failReport.status, behaviour.failReport.message);
        return;
      }
      if (scan.pullStatus !== 200) {
        sendError(response, 500, `could not pull ${scan.request.artifact.repository}@${scan.request.artifact.digest}: the registry answered ${scan.pullStatus}`);
        return;
      }
      const accepted = (request.headers.accept ?? '').split(',').map((type) => type.trim());
      const format = [adapterTypes.reportV11, adapterTypes.reportV10].find((type) => accepted.includes(type) && behaviour.produces.includes(type));
      if (format === undefined) {
        sendError(response, 501, `cannot produce ${request.headers.accept}`);
        return;
      }
      send(response, 200, format, {
        generated_at: new Date().toISOString(), artifact: scan.request.artifact, scanner,
        severity: 'High', vulnerabilities: behaviour.vulnerabilities,
      });
      return;
    }
    sendError(response, 404, `no route ${request.method} ${path}`);
  }

  async function pullManifest(scan: AdapterScan): Promise<void> {
    const { registry, artifact } = scan.request;
    try {
      const pulled = await fetch(`${registry.url}/v2/${artifact.repository}/manifests/${artifact.digest}`, {
        headers: { accept: artifact.mime_type, ...(registry.authorization ? { authorization: registry.authorization } : {}) },
      });
      await pulled.arrayBuffer();
      scan.pullStatus = pulled.status;
    } catch {
      scan.pullStatus = 0;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (adapter as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return adapter;
}

function send(response: ServerResponse, status: number, contentType: string, body: unknown): void {
  response.writeHead(status, { 'content-type': contentType }).end(JSON.stringify(body));
}

function sendError(response: ServerResponse, status: number, message: string): void {
  send(response, status, adapterTypes.error, { error: { message } });
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A loopback address nothing listens on: an adapter that is down. */
export async function closedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

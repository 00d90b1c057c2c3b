import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AuditSearch } from '../../auth/admin/audit-admin.js';
import { auditExportQuery, auditQuery, type AuditExportQuery } from '../../auth/admin/admin-requests.js';
import type { ApiContext } from './api-auth.js';
import { queryOf, sendPage } from './api-request.js';
import { auditEventView } from './api-views.js';

const filterNames = ['actor', 'action', 'repository', 'project', 'outcome', 'since', 'until'];

/** The audit log: a page at a time as JSON, or every matching event as NDJSON. Newest first in both. */
export function registerAuditRoutes(app: FastifyInstance, api: ApiContext): void {
  const { audit } = api.admin;

  app.get('/api/v1/audit', async (request, reply) => {
    const actor = await api.actor(request);
    const query = queryOf(request, auditQuery);
    sendPage(request, reply, await audit.query(actor, searchOf(query), query.n), query.n, auditEventView, filterNames);
  });

  app.get('/api/v1/audit/export', async (request, reply) => {
    const actor = await api.actor(request);
    const pages = await audit.export(actor, searchOf(queryOf(request, auditExportQuery)));
    // One chunk per page of events: the stream asks for the next page only once the socket has taken this one.
    const lines = Readable.from((async function* ndjson() {
      for await (const page of pages) yield page.map((event) => `${JSON.stringify(auditEventView(event))}\n`).join('');
    })());
    // Returned, so that Fastify waits for the stream rather than for the handler alone.
    return reply.type('application/x-ndjson').header('cache-control', 'no-store').send(lines);
  });
}

function searchOf(query: AuditExportQuery): AuditSearch {
  return {
    actor: query.actor, action: query.action, repository: query.repository, project: query.project,
    outcome: query.outcome, since: query.since, until: query.until, before: query.last,
  };
}

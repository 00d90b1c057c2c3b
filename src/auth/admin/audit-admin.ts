import type { AuditEvent, AuditFilter } from '../../metadata/access-store.js';
import type { AccessPolicy } from '../access-policy.js';
import type { AuditLog } from '../audit-log.js';
import { projectOf } from '../roles.js';
import { actorName, isSystemAdmin, notFound, type AdminActor, type AdminAudit } from './admin-actor.js';
import type { Page } from './admin-paging.js';
import { describeCapability } from './project-admin.js';

/** The filters of an audit query; `before` is the event id to continue before (events come newest first). */
export type AuditSearch = Omit<AuditFilter, 'limit'>;

const exportPage = 1000;

/**
 * Reading the audit log: system administrators read all of it; another user reads the events of a project where
 * they hold view-members (guest or higher), and must say which project (or a repository within it).
 */
export class AuditAdmin {
  readonly #log: AuditLog;
  readonly #policy: AccessPolicy;
  readonly #audit: AdminAudit;

  constructor(log: AuditLog, policy: AccessPolicy, audit: AdminAudit) {
    this.#log = log;
    this.#policy = policy;
    this.#audit = audit;
  }

  async query(actor: AdminActor, search: AuditSearch, limit: number): Promise<Page<AuditEvent>> {
    await this.#requireReader(actor, search);
    const rows = await this.#log.query({ ...search, limit: limit + 1 });
    if (rows.length <= limit) return { items: rows, next: undefined };
    const items = rows.slice(0, limit);
    return { items, next: String(items[items.length - 1]!.id) };
  }

  /**
   * Every matching event, newest first, in pages read one at a time as the consumer asks for them: an export of
   * millions of events never sits in memory whole. The caller's right to read is checked before the first page.
   */
  async export(actor: AdminActor, search: AuditSearch): Promise<AsyncIterable<AuditEvent[]>> {
    await this.#requireReader(actor, search);
    const log = this.#log;
    return (async function* pages() {
      let before = search.before;
      for (;;) {
        const rows = await log.query({ ...search, before, limit: exportPage });
        if (rows.length > 0) yield rows;
        if (rows.length < exportPage) return;
        before = rows[rows.length - 1]!.id;
      }
    })();
  }

  async #requireReader(actor: AdminActor, search: AuditSearch): Promise<void> {
    if (isSystemAdmin(actor)) return;
    const who = actorName(actor);
    const project = search.project ?? (search.repository !== undefined ? projectOf(search.repository) : undefined);
    if (project === undefined) {
      this.#audit.refuse(actor, undefined,
        `${who} may read only the audit events of a project where they hold ${describeCapability('view-members')}: give project=<name> (or repository=<name> within it); the whole log is for system administrators`);
    }
    const decision = await this.#policy.project(actor.principal, project);
    if (!decision.exists || !decision.capabilities.has('view-project')) throw notFound(`project "${project}" not found`);
    if (!decision.capabilities.has('view-members')) {
      this.#audit.refuse(actor, undefined, `${who} may not read the audit events of project "${project}": that needs ${describeCapability('view-members')}`);
    }
  }
}

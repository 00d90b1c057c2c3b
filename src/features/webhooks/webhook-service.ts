import type { AccessPolicy } from '../../auth/access-policy.js';
import { actorName, conflict, notFound, type AdminAction, type AdminActor, type AdminAudit } from '../../auth/admin/admin-actor.js';
import { pageInMemory, pageOf, type Page, type PageQuery } from '../../auth/admin/admin-paging.js';
import { requireProjectCapability } from '../../auth/admin/project-guard.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { Webhook, WebhookChange, WebhookDelivery, WebhookStore } from '../../metadata/webhook-store.js';
import { generateSecret } from './signature.js';
import { parseTargetUrl, resolveTarget, type Resolver, type TargetUrl } from './target-guard.js';
import { deliverJobKind, deliveryJobKey, type DeliveryJobPayload, type Enqueue } from './webhook-consumer.js';
import { defaultEventTypes, matchAll } from './webhook-filter.js';
import type { CreateWebhookRequest, UpdateWebhookRequest } from './webhook-requests.js';

export interface WebhookServiceOptions {
  readonly allowPrivateTargets: boolean;
  readonly maxAttempts: number;
  readonly enqueue: Enqueue;
  /** How host names are resolved; the system's resolver when absent. */
  readonly resolver?: Resolver;
}

/**
 * A project's webhooks, as the administration API and CLI offer them: subscriptions, their delivery logs, replays
 * and secret rotation. Project administrators (update-project) manage them, and they alone see them: a webhook URL
 * is often a credential in itself (chat services' incoming-webhook URLs are), and the log shows what the project's
 * receivers answered.
 */
export class WebhookService {
  readonly #store: WebhookStore;
  readonly #policy: AccessPolicy;
  readonly #audit: AdminAudit;
  readonly #options: WebhookServiceOptions;

  constructor(metadata: MetadataStore, policy: AccessPolicy, audit: AdminAudit, options: WebhookServiceOptions) {
    this.#store = metadata.webhooks();
    this.#policy = policy;
    this.#audit = audit;
    this.#options = options;
  }

  async list(actor: AdminActor, project: string, page: PageQuery): Promise<Page<Webhook>> {
    await this.#require(actor, project, undefined, 'see webhooks');
    return pageInMemory(await this.#store.subscriptions(project), page, (webhook) => String(webhook.id), true);
  }

  async get(actor: AdminActor, project: string, id: string): Promise<Webhook> {
    await this.#require(actor, project, undefined, 'see webhooks');
    return this.#find(project, id);
  }

  /** Creates a subscription; its secret is answered here only. */
  async create(actor: AdminActor, project: string, request: CreateWebhookRequest): Promise<{ webhook: Webhook; secret: string }> {
    const target = parseTargetUrl(request.url);
    await this.#require(actor, project, 'webhook.create', 'create webhooks', { url: target.url.origin });
    const url = await this.#checkedUrl(target);
    const secret = generateSecret();
    const webhook = await this.#store.createSubscription({
      project, url, secret, eventTypes: request.events ?? defaultEventTypes,
      repositoryPattern: request.repositories ?? matchAll, tagPattern: request.tags ?? matchAll,
      description: request.description, enabled: request.enabled ?? true, createdBy: actorName(actor), createdAt: Date.now(),
    });
    if (!webhook) throw notFound(`project "${project}" not found`);
    this.#audit.changed(actor, 'webhook.create', describe(webhook), project);
    return { webhook, secret };
  }

  async update(actor: AdminActor, project: string, id: string, request: UpdateWebhookRequest): Promise<Webhook> {
    const target = request.url === undefined ? undefined : parseTargetUrl(request.url);
    await this.#require(actor, project, 'webhook.update', 'change webhooks', { id });
    const url = target === undefined ? undefined : await this.#checkedUrl(target);
    const existing = await this.#find(project, id);
    const change: WebhookChange = {
      ...(url !== undefined && { url }),
      ...(request.events !== undefined && { eventTypes: request.events }),
      ...(request.repositories !== undefined && { repositoryPattern: request.repositories }),
      ...(request.tags !== undefined && { tagPattern: request.tags }),
      ...(request.description !== undefined && { description: request.description }),
      ...(request.enabled !== undefined && { enabled: request.enabled }),
    };
    const webhook = await this.#store.updateSubscription(project, existing.id, change, Date.now());
    if (!webhook) throw this.#missing(project, id);
    this.#audit.changed(actor, 'webhook.update', { ...describe(webhook), changed: Object.keys(request) }, project);
    return webhook;
  }

  async delete(actor: AdminActor, project: string, id: string): Promise<void> {
    await this.#require(actor, project, 'webhook.delete', 'delete webhooks', { id });
    const existing = await this.#find(project, id);
    if (!(await this.#store.deleteSubscription(project, existing.id))) throw this.#missing(project, id);
    this.#audit.changed(actor, 'webhook.delete', describe(existing), project);
  }

  /** A new secret, answered here only; the old one stops signing at once. */
  async rotate(actor: AdminActor, project: string, id: string): Promise<{ webhook: Webhook; secret: string }> {
    await this.#require(actor, project, 'webhook.update', 'change webhooks', { id });
    const existing = await this.#find(project, id);
    const secret = generateSecret();
    const webhook = await this.#store.updateSubscription(project, existing.id, { secret }, Date.now());
    if (!webhook) throw this.#missing(project, id);
    this.#audit.changed(actor, 'webhook.update', { ...describe(webhook), changed: ['secret'] }, project);
    return { webhook, secret };
  }

  /** The delivery log, newest first; `page.after` is the id of the last delivery of the previous page. */
  async deliveries(actor: AdminActor, project: string, id: string, page: { limit: number; before?: number | undefined }): Promise<Page<WebhookDelivery>> {
    await this.#require(actor, project, undefined, 'see webhook deliveries');
    const webhook = await this.#find(project, id);
    const rows = await this.#store.deliveries(webhook.id, page.limit + 1, page.before);
    return pageOf(rows, page.limit, (delivery) => String(delivery.id));
  }

  /**
   * Sends a delivered or failed delivery's event again, as a new series of attempts (the same event id, so a
   * receiver that keeps ids sees a repeat). A delivery still being attempted is not replayed over itself.
   */
  async replay(actor: AdminActor, project: string, id: string, deliveryId: string): Promise<WebhookDelivery> {
    await this.#require(actor, project, 'webhook.replay', 'replay webhook deliveries', { id, delivery: deliveryId });
    const webhook = await this.#find(project, id);
    const delivery = /^\d{1,15}$/.test(deliveryId) ? await this.#store.delivery(webhook.id, Number(deliveryId)) : undefined;
    if (!delivery) throw notFound(`webhook ${webhook.id} of project "${project}" has no delivery ${deliveryId.slice(0, 100)}: list them with GET .../deliveries`);
    if (!webhook.enabled) {
      throw conflict(`webhook ${webhook.id} is disabled, so nothing would be sent: enable it first (PATCH {"enabled": true}, or berth webhook update ${project} ${webhook.id} --enable)`);
    }
    const now = Date.now();
    if (!(await this.#store.setDeliveryStatus(delivery.id, 'queued', ['delivered', 'failed'], now))) {
      throw conflict(`delivery ${delivery.id} is still being attempted (${delivery.status}): replay it once it has been delivered or has failed`);
    }
    await this.#options.enqueue({
      kind: deliverJobKind, payload: { deliveryId: delivery.id } satisfies DeliveryJobPayload,
      // A key of its own per replay: the previous series' job may not have left the queue yet.
      uniqueKey: `${deliveryJobKey(webhook.id, delivery.eventId)}:replay:${delivery.attempts.length}`,
      runAfter: now, maxAttempts: this.#options.maxAttempts,
    });
    this.#audit.changed(actor, 'webhook.replay', { ...describe(webhook), delivery: delivery.id, event: delivery.eventId }, project);
    return (await this.#store.delivery(webhook.id, delivery.id)) ?? delivery;
  }

  /** The URL, checked for where it resolves (again at each delivery: DNS can change). */
  async #checkedUrl(target: TargetUrl): Promise<string> {
    await resolveTarget(target, this.#options.allowPrivateTargets, this.#options.resolver);
    return target.url.href;
  }

  async #require(actor: AdminActor, project: string, action: AdminAction | undefined, verb: string, detail: Record<string, unknown> = {}): Promise<void> {
    await requireProjectCapability(this.#policy, this.#audit, actor, project, 'update-project', action, verb, detail);
  }

  async #find(project: string, id: string): Promise<Webhook> {
    const webhook = /^\d{1,15}$/.test(id) ? await this.#store.subscription(project, Number(id)) : undefined;
    if (!webhook) throw this.#missing(project, id);
    return webhook;
  }

  #missing(project: string, id: string) {
    return notFound(`project "${project}" has no webhook ${id.slice(0, 100)}: list them with berth webhook list ${project}`);
  }
}

/** A webhook as the audit log records it: never its secret, and its URL's origin only (a path can hold a token). */
function describe(webhook: Webhook): Record<string, unknown> {
  return { id: webhook.id, url: originOf(webhook.url), events: webhook.eventTypes, enabled: webhook.enabled };
}

function originOf(url: string): string {
  return new URL(url).origin;
}

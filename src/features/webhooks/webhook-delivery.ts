import type { Logger } from 'pino';
import type { JobDefinition } from '../../jobs/job-definition.js';
import type { Job } from '../../metadata/metadata-store.js';
import type { AttemptStatus, DeliveryToSend, WebhookStore } from '../../metadata/webhook-store.js';
import { cloudEventContentType, toCloudEvent } from './cloud-event.js';
import { signatureHeaders } from './signature.js';
import { parseTargetUrl, resolveTarget, TargetRefused, type Resolver } from './target-guard.js';
import { deliverJobKind, type DeliveryJobPayload } from './webhook-consumer.js';
import { postDelivery, type PostResult } from './webhook-post.js';

/** Delivery attempts since start, by what came of them; plain counts, which metrics read when scraped. */
export interface DeliveryTally {
  delivered: number;
  /** Failed, and to be tried again. */
  retrying: number;
  /** Failed for good: attempts spent, or a target that resolves to a private address. */
  failed: number;
}

export function newDeliveryTally(): DeliveryTally {
  return { delivered: 0, retrying: 0, failed: 0 };
}

export interface DeliveryOptions {
  readonly allowPrivateTargets: boolean;
  readonly timeoutMs: number;
  /** The delay after the first failed attempt; each next one doubles it, up to an hour. */
  readonly retryBaseMs: number;
  readonly externalUrl: string | undefined;
  readonly log: Logger;
  readonly resolver?: Resolver;
  /** Counts each attempt's outcome, when given. */
  readonly tally?: DeliveryTally;
}

const maxBackoffMs = 60 * 60 * 1000;
const errorMax = 500;

/** The wait before attempt `attempts + 1`, after `attempts` failed ones: base, 2 base, 4 base, … at most an hour. */
export function retryDelayMs(retryBaseMs: number, attempts: number): number {
  return Math.min(retryBaseMs * 2 ** Math.max(0, attempts - 1), maxBackoffMs);
}

/**
 * The `webhooks.deliver` job: one attempt to send one delivery. It builds the CloudEvent from the delivery's copy
 * of the event, signs it, checks again where the URL resolves (DNS may have changed since the subscription was
 * made) and POSTs it to the checked address. Each attempt goes into the delivery log. Any 2xx delivers; anything
 * else (a 3xx included: redirects are not followed) fails the attempt, and the job throws so that the queue retries
 * it with exponential backoff until its attempts are spent. A target that now resolves to a private address fails
 * the delivery at once: retrying would only knock on the same door.
 */
export function deliveryJob(store: WebhookStore, options: DeliveryOptions): JobDefinition {
  return {
    kind: deliverJobKind,
    backoffMs: (attempts) => retryDelayMs(options.retryBaseMs, attempts),
    run: async (job, context) => {
      const { deliveryId } = job.payload as DeliveryJobPayload;
      const delivery = await store.deliveryToSend(deliveryId);
      // Deleted with its subscription, or already settled (a stale job): nothing to send.
      if (!delivery || delivery.status === 'delivered' || delivery.status === 'failed') return;
      if (!delivery.subscription.enabled) {
        await store.setDeliveryStatus(delivery.id, 'failed', ['queued', 'retrying'], Date.now(),
          'the webhook was disabled before this delivery was sent: enable it and replay the delivery');
        return;
      }
      await attempt(store, delivery, job, context.signal, options);
    },
  };
}

async function attempt(store: WebhookStore, delivery: DeliveryToSend, job: Job, signal: AbortSignal, options: DeliveryOptions): Promise<void> {
  const { subscription, event } = delivery;
  const body = JSON.stringify(toCloudEvent(event, options.externalUrl));
  const headers = {
    'content-type': cloudEventContentType,
    ...signatureHeaders(subscription.secret, String(event.id), Math.floor(Date.now() / 1000), body),
  };
  const last = job.attempts >= job.maxAttempts;
  const log = options.log.child({ webhook: subscription.id, delivery: delivery.id, event: event.id, attempt: job.attempts });

  const started = performance.now();
  let result: PostResult;
  try {
    const target = parseTargetUrl(subscription.url);
    const resolved = await resolveTarget(target, options.allowPrivateTargets, options.resolver);
    result = await postDelivery(target, resolved, headers, body, options.timeoutMs, signal);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const refused = error instanceof TargetRefused;
    const status: AttemptStatus = refused || last ? 'failed' : 'retrying';
    await store.recordAttempt(delivery.id, {
      status, responseCode: undefined, durationMs: Math.round(performance.now() - started), error: truncate(message), at: Date.now(),
    });
    if (options.tally) options.tally[status]++;
    log.warn({ reason: message }, refused ? 'refused a webhook delivery to a private address' : 'a webhook delivery could not be sent');
    if (refused) return;
    throw error;
  }

  const delivered = result.status !== undefined && result.status >= 200 && result.status < 300;
  const status: AttemptStatus = delivered ? 'delivered' : last ? 'failed' : 'retrying';
  const error = delivered ? undefined : truncate(failure(result));
  await store.recordAttempt(delivery.id, { status, responseCode: result.status, durationMs: result.durationMs, error, at: Date.now() });
  if (options.tally) options.tally[status]++;
  if (delivered) {
    log.debug({ status: result.status, ms: result.durationMs }, 'webhook delivered');
    return;
  }
  log.warn({ status: result.status, ms: result.durationMs, reason: error, final: last }, 'a webhook delivery attempt failed');
  throw new Error(`webhook delivery ${delivery.id} to webhook ${subscription.id}: ${error}`);
}

/** What went wrong with an attempt, for the log: no answer, a redirect, or the status with the start of the body. */
function failure(result: PostResult): string {
  if (result.status === undefined) return result.error ?? 'no answer';
  if (result.status >= 300 && result.status < 400) {
    const location = result.headers.location;
    return `answered ${result.status} redirecting to ${location ?? '(no Location)'}; redirects are not followed: `
      + 'set the webhook\'s URL to where the receiver really is';
  }
  const body = result.body.replace(/\s+/g, ' ').trim();
  return `answered ${result.status}${body === '' ? '' : `: ${body}`}`;
}

function truncate(text: string): string {
  return text.length <= errorMax ? text : `${text.slice(0, errorMax - 1)}…`;
}

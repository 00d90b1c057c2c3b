import type { OutboxConsumer } from '../events/outbox-consumer.js';
import type { JobDefinition } from '../jobs/job-definition.js';
import type { RegistryPolicy } from '../registry/registry-policy.js';

/**
 * A capability built on the registry's seams, registered from one list in the composition root (app.ts): the
 * policies it adds at the registry's policy point, the outbox consumers it feeds, the background jobs it declares,
 * and what it does at start and stop. Its administration (API routes, CLI commands) lives with the other surfaces
 * in http/api/ and cli/, calling the service the feature exposes.
 */
export interface Feature {
  readonly name: string;
  readonly policies?: readonly RegistryPolicy[];
  readonly consumers?: readonly OutboxConsumer[];
  readonly jobs?: readonly JobDefinition[];
  /** Runs once the stores are open and before the node serves. */
  start?(): Promise<void>;
  /** Runs when the node shuts down, after it stops serving. */
  stop?(): Promise<void>;
}

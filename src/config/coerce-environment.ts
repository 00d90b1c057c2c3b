import { z, type ZodTypeAny } from 'zod';

type Kind = 'string' | 'number' | 'boolean';

/**
 * An environment variable's text as the value its configuration key expects. The schema is the one source of truth
 * for that: "12345678" stays a string for a password and a prefix, and becomes a number only for a numeric key;
 * "true" becomes a boolean only where a boolean is accepted (trustProxy takes true or a list of addresses). Text
 * that fits none of the key's kinds is passed on unchanged, so the schema's own message names the problem.
 */
export function coerceEnvironmentValue(schema: ZodTypeAny, key: string, value: string): unknown {
  const kinds = new Set<Kind>();
  collectKinds(schema, key.split('.'), kinds);
  if (kinds.has('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  if (kinds.has('number') && !kinds.has('string') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

/** Adds the kinds of leaf value reachable at `path` under `schema`, looking through wrappers and unions. */
function collectKinds(schema: ZodTypeAny, path: readonly string[], kinds: Set<Kind>): void {
  if (schema instanceof z.ZodDefault) {
    collectKinds(schema.removeDefault() as ZodTypeAny, path, kinds);
    return;
  }
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    collectKinds(schema.unwrap() as ZodTypeAny, path, kinds);
    return;
  }
  if (schema instanceof z.ZodEffects) {
    collectKinds(schema.innerType() as ZodTypeAny, path, kinds);
    return;
  }
  if (schema instanceof z.ZodUnion) {
    for (const option of schema.options as ZodTypeAny[]) collectKinds(option, path, kinds);
    return;
  }
  if (path.length > 0) {
    if (schema instanceof z.ZodObject) {
      const child = (schema.shape as Record<string, ZodTypeAny>)[path[0]!];
      if (child) collectKinds(child, path.slice(1), kinds);
    }
    return;
  }
  if (schema instanceof z.ZodNumber) kinds.add('number');
  else if (schema instanceof z.ZodBoolean) kinds.add('boolean');
  else if (schema instanceof z.ZodString || schema instanceof z.ZodEnum) kinds.add('string');
}

/**
 * Reading fields of JSON that someone else wrote (manifests, configs) without trusting its shape: each accessor
 * answers undefined (or empty) when the field is missing or of another type.
 */

export function objectField(value: unknown, name: string): Record<string, unknown> | undefined {
  const field = isObject(value) ? value[name] : undefined;
  return isObject(field) ? field : undefined;
}

export function arrayField(value: unknown, name: string): unknown[] | undefined {
  const field = isObject(value) ? value[name] : undefined;
  return Array.isArray(field) ? field : undefined;
}

export function stringField(value: unknown, name: string): string | undefined {
  const field = isObject(value) ? value[name] : undefined;
  return typeof field === 'string' && field !== '' ? field : undefined;
}

export function numberField(value: unknown, name: string): number | undefined {
  const field = isObject(value) ? value[name] : undefined;
  return typeof field === 'number' && Number.isFinite(field) ? field : undefined;
}

export function stringRecord(value: Record<string, unknown> | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value ?? {})) if (typeof entry === 'string') record[key] = entry;
  return record;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

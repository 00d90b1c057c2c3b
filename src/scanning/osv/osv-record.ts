import { z } from 'zod';

/**
 * An OSV advisory (https://ossf.github.io/osv-schema/) cut down to the fields the scanner reads. The shape stays
 * OSV's own, field names and all, so a parsed record is itself a valid OSV record: it can be stored as JSON and
 * parsed again to the same value.
 *
 * Feeds are written by strangers, so parsing is tolerant where a wrong value only loses decoration (a timestamp,
 * an alias, a severity entry, a GIT range) and strict where guessing could change which versions are affected: a
 * record whose affected entries, ranges, events or versions are malformed or larger than the caps below is
 * rejected whole, with the reason, rather than read in part.
 */
export interface OsvRecord {
  id: string;
  modified?: string;
  published?: string;
  /** Set when the advisory was retracted: it must never be reported. */
  withdrawn?: string;
  aliases: string[];
  /** The upstream advisories (CVEs) a distro advisory bundles. */
  upstream: string[];
  summary?: string;
  details?: string;
  severity: OsvSeverity[];
  affected: OsvAffected[];
  database_specific?: OsvSpecific;
}

export interface OsvAffected {
  package: { ecosystem: string; name: string; purl?: string };
  /** ECOSYSTEM and SEMVER ranges only: GIT ranges name commits, which an installed package does not have. */
  ranges: OsvRange[];
  versions: string[];
  /** When present, replaces the record's own `severity` for this package. */
  severity: OsvSeverity[];
  ecosystem_specific?: OsvSpecific;
  database_specific?: OsvSpecific;
}

export interface OsvRange {
  type: 'ECOSYSTEM' | 'SEMVER';
  events: OsvEvent[];
}

export type OsvEventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

/** Exactly one key per event, as OSV writes them. */
export type OsvEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

/** `type` is CVSS_V2, CVSS_V3, CVSS_V4 (`score` is then a vector string) or a vendor's scale such as Ubuntu. */
export interface OsvSeverity {
  type: string;
  score: string;
}

/** The flat part of an `*_specific` object: scalars and lists of strings; nested objects are dropped. */
export type OsvSpecific = Record<string, string | number | boolean | string[]>;

// Caps. Structural ones reject the record when exceeded (reading part of a range could turn "fixed" into
// "affected"); the others truncate, since a shorter alias list or description changes no match.
const MAX_ID = 256;
const MAX_VERSION = 256;
const MAX_ECOSYSTEM = 128;
const MAX_NAME = 1024;
const MAX_AFFECTED = 10_000;
const MAX_RANGES = 1_000;
const MAX_EVENTS = 1_000;
const MAX_VERSIONS = 100_000;
const MAX_ALIASES = 256;
const MAX_SEVERITIES = 16;
const MAX_SUMMARY = 1_024;
const MAX_DETAILS = 4_096;
const MAX_SPECIFIC_KEYS = 64;
const MAX_SPECIFIC_TEXT = 1_024;

const ID_PATTERN = /^[^\s\u0000-\u001f\u007f]+$/;

/** Whether a string can be an advisory id: 1-256 characters, no spaces or control characters. */
export const isOsvId = (id: string): boolean => id.length <= MAX_ID && ID_PATTERN.test(id);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// The part that decides matches, validated strictly. Plain schemas only: zod's effects (preprocess, transform,
// refine) cost several times a plain check, and an archive holds 10^5-10^6 records. `prepare` does the rest.
const version = z.string().min(1).max(MAX_VERSION);
const eventSchema = z.object({ introduced: version.optional(), fixed: version.optional(), last_affected: version.optional(), limit: version.optional() });
const rangeSchema = z.object({ type: z.enum(['ECOSYSTEM', 'SEMVER']), events: z.array(eventSchema).max(MAX_EVENTS, `more than ${MAX_EVENTS} events`) });
const affectedSchema = z.object({
  package: z.object({ ecosystem: z.string().min(1).max(MAX_ECOSYSTEM), name: z.string().min(1).max(MAX_NAME) }),
  ranges: z.array(rangeSchema).max(MAX_RANGES, `more than ${MAX_RANGES} ranges`),
  versions: z.array(version).max(MAX_VERSIONS, `more than ${MAX_VERSIONS} versions`),
});
const matchingSchema = z.object({
  id: z.string().min(1).max(MAX_ID).regex(ID_PATTERN, 'an id has no spaces or control characters'),
  affected: z.array(affectedSchema).max(MAX_AFFECTED, `more than ${MAX_AFFECTED} affected entries`),
});

/** Cuts an over-long array to one past its cap, so the schema rejects it having looked at no more than that. */
const capped = (value: unknown, max: number): unknown => (Array.isArray(value) && value.length > max ? value.slice(0, max + 1) : value ?? []);

/** Ranges of another type (GIT, or one a later schema adds) are dropped; malformed ones stay, to fail. */
const isOtherRangeType = (range: unknown): boolean => isObject(range) && typeof range.type === 'string' && range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER';

/**
 * The matching part of a record, ready for the schema, and the affected entries it came from. An affected entry
 * without a package names only commits (GIT ranges): nothing an image contains can match it.
 */
function prepare(json: Record<string, unknown>): { matching: unknown; entries: unknown[] } {
  const affected = capped(json.affected, MAX_AFFECTED);
  if (!Array.isArray(affected)) return { matching: { id: json.id, affected }, entries: [] };
  const entries = affected.filter((entry) => !isObject(entry) || entry.package !== undefined);
  const prepared = entries.map((entry) => {
    if (!isObject(entry)) return entry;
    const ranges = capped(entry.ranges, MAX_RANGES);
    return {
      package: entry.package,
      // Ranges of other types are dropped only within the cap, so a flood of them is rejected like any other.
      ranges: Array.isArray(ranges)
        ? (ranges.length > MAX_RANGES ? ranges : ranges.filter((range) => !isOtherRangeType(range)))
          .map((range) => (isObject(range) ? { type: range.type, events: capped(range.events, MAX_EVENTS) } : range))
        : ranges,
      versions: capped(entry.versions, MAX_VERSIONS),
    };
  });
  return { matching: { id: json.id, affected: prepared }, entries };
}

const eventKinds: readonly OsvEventKind[] = ['introduced', 'fixed', 'last_affected', 'limit'];

/** OSV's one-key event, or the reason the event is not one. */
function singleKeyEvent(event: z.infer<typeof eventSchema>): OsvEvent | string {
  const kinds = eventKinds.filter((kind) => event[kind] !== undefined);
  if (kinds.length !== 1) return `an event needs exactly one of ${eventKinds.join(', ')}; found ${kinds.length}`;
  const kind = kinds[0]!;
  return { [kind]: event[kind]! } as OsvEvent;
}

/** Optional text, cut to `max` characters; anything but a string reads as absent. */
const text = (value: unknown, max: number): string | undefined => (typeof value === 'string' ? value.slice(0, max) : undefined);

/** A list of short strings, at most `max` of them; other items and a non-list are dropped. */
const stringList = (value: unknown, max: number): string[] => (Array.isArray(value)
  ? value.filter((item): item is string => typeof item === 'string' && item.length > 0 && item.length <= MAX_ID).slice(0, max)
  : []);

const severityList = (value: unknown): OsvSeverity[] => (Array.isArray(value)
  ? value.slice(0, MAX_SEVERITIES * 4).flatMap((entry) => (isObject(entry) && typeof entry.type === 'string' && typeof entry.score === 'string' &&
    entry.type.length <= 64 && entry.score.length <= MAX_VERSION ? [{ type: entry.type, score: entry.score }] : [])).slice(0, MAX_SEVERITIES)
  : []);

/** Keeps the scalar and string-list keys of an `*_specific` object (Debian's urgency, GHSA's severity, CWE ids). */
function flatSpecific(value: unknown): OsvSpecific | undefined {
  if (!isObject(value)) return undefined;
  const kept: OsvSpecific = {};
  let count = 0;
  for (const [key, item] of Object.entries(value)) {
    if (count === MAX_SPECIFIC_KEYS) break;
    // JSON.parse makes `__proto__` an ordinary key; assigning it would set the copy's prototype instead.
    if (key === '__proto__') continue;
    if (typeof item === 'string') kept[key] = item.slice(0, MAX_SPECIFIC_TEXT);
    else if (typeof item === 'number' || typeof item === 'boolean') kept[key] = item;
    else if (Array.isArray(item)) kept[key] = item.filter((entry): entry is string => typeof entry === 'string' && entry.length <= MAX_SPECIFIC_TEXT).slice(0, MAX_SPECIFIC_KEYS);
    else continue;
    count++;
  }
  return kept;
}

/** Copies the optional fields that hold a value, so a parsed record carries no `undefined` keys. */
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Reads one OSV record from parsed JSON (or YAML read with every scalar as a string); never throws. */
export function parseOsvRecord(json: unknown): OsvRecord | { error: string } {
  if (!isObject(json)) return { error: 'an OSV record is a JSON object' };
  const label = typeof json.id === 'string' ? `${json.id.slice(0, MAX_ID)}: ` : '';
  const { matching, entries } = prepare(json);
  const parsed = matchingSchema.safeParse(matching);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { error: `${label}${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}` };
  }
  const affected: OsvAffected[] = [];
  for (const [a, entry] of parsed.data.affected.entries()) {
    const source = entries[a] as Record<string, unknown>;
    const ranges: OsvRange[] = [];
    for (const [r, range] of entry.ranges.entries()) {
      const events: OsvEvent[] = [];
      for (const [e, event] of range.events.entries()) {
        const single = singleKeyEvent(event);
        if (typeof single === 'string') return { error: `${label}affected.${a}.ranges.${r}.events.${e}: ${single}` };
        events.push(single);
      }
      ranges.push({ type: range.type, events });
    }
    // A purl cut short would name another package, so an over-long one is dropped, not cut.
    const purl = (source.package as Record<string, unknown>).purl;
    affected.push({
      package: { ecosystem: entry.package.ecosystem, name: entry.package.name, ...(typeof purl === 'string' && purl.length <= 2_048 ? { purl } : {}) },
      ranges,
      versions: entry.versions,
      severity: severityList(source.severity),
      ...defined({ ecosystem_specific: flatSpecific(source.ecosystem_specific), database_specific: flatSpecific(source.database_specific) }),
    });
  }
  return {
    id: parsed.data.id,
    ...defined({ modified: text(json.modified, 64), published: text(json.published, 64), withdrawn: text(json.withdrawn, 64) }),
    aliases: stringList(json.aliases, MAX_ALIASES),
    upstream: stringList(json.upstream, MAX_ALIASES),
    ...defined({ summary: text(json.summary, MAX_SUMMARY), details: text(json.details, MAX_DETAILS) }),
    severity: severityList(json.severity),
    affected,
    ...defined({ database_specific: flatSpecific(json.database_specific) }),
  };
}

/** The kind and version of one event. */
export function eventParts(event: OsvEvent): { kind: OsvEventKind; version: string } {
  if ('introduced' in event) return { kind: 'introduced', version: event.introduced };
  if ('fixed' in event) return { kind: 'fixed', version: event.fixed };
  if ('last_affected' in event) return { kind: 'last_affected', version: event.last_affected };
  return { kind: 'limit', version: event.limit };
}

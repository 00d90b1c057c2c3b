import type { OsvAffected, OsvRecord } from './osv-record.js';

/**
 * The advisories in memory, looked up by the package they name. A record is filed under every (ecosystem, package)
 * its affected entries name, and can be replaced or removed by id, so an incremental feed update swaps the records
 * that changed without reloading the rest. Withdrawn records are kept like any other (the matcher skips them), so
 * a withdrawal arriving in an update replaces the record it retracts.
 */
export class AdvisoryIndex {
  private readonly byId = new Map<string, { record: OsvRecord; keys: string[] }>();
  private readonly byPackage = new Map<string, Map<string, OsvRecord>>();

  /** Files a record, replacing the one with the same id if there is one. */
  add(record: OsvRecord): void {
    this.remove(record.id);
    const keys = [...new Set(record.affected.map((entry) => packageKey(entry.package.ecosystem, entry.package.name)))];
    for (const key of keys) {
      const records = this.byPackage.get(key) ?? new Map<string, OsvRecord>();
      records.set(record.id, record);
      this.byPackage.set(key, records);
    }
    this.byId.set(record.id, { record, keys });
  }

  /** Drops the record with this id; whether there was one. */
  remove(id: string): boolean {
    const filed = this.byId.get(id);
    if (filed === undefined) return false;
    for (const key of filed.keys) {
      const records = this.byPackage.get(key)!;
      records.delete(id);
      if (records.size === 0) this.byPackage.delete(key);
    }
    this.byId.delete(id);
    return true;
  }

  get(id: string): OsvRecord | undefined {
    return this.byId.get(id)?.record;
  }

  get size(): number {
    return this.byId.size;
  }

  /** The records naming a package, ordered by id. */
  recordsFor(ecosystem: string, name: string): OsvRecord[] {
    const records = this.byPackage.get(packageKey(ecosystem, name));
    return records === undefined ? [] : [...records.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

/** The affected entries of a record that name this package. */
export function entriesFor(record: OsvRecord, ecosystem: string, name: string): OsvAffected[] {
  const key = packageKey(ecosystem, name);
  return record.affected.filter((entry) => packageKey(entry.package.ecosystem, entry.package.name) === key);
}

/** Ecosystem and name as one key; PyPI names compare PEP 503-normalised, every other ecosystem's exactly. */
function packageKey(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${ecosystem === 'PyPI' ? normalizePypiName(name) : name}`;
}

/** PEP 503: lower case, and every run of `-`, `_` and `.` one `-` (`PyYAML` is `pyyaml`, `zope.interface` `zope-interface`). */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

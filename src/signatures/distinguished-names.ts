import type { DnAttribute } from './certificate-facts.js';

/**
 * Distinguished names as notation's trustedIdentities write them (`C=US, ST=WA, O=Acme\, Inc.`): RDNs separated by
 * commas (or `+` within one RDN), values escaped with a backslash. Types compare without case, values exactly.
 */
export function parseDistinguishedName(text: string): DnAttribute[] | string {
  const attributes: DnAttribute[] = [];
  let current = '';
  const parts: string[] = [];
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\' && index + 1 < text.length) {
      current += char + text[++index];
    } else if (char === ',' || char === '+' || char === ';') {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  for (const part of parts) {
    const equals = part.indexOf('=');
    if (equals <= 0) return `"${part.trim()}" is not TYPE=value`;
    const type = part.slice(0, equals).trim().toUpperCase();
    // A value's own leading or trailing space is written escaped (`\ `), so only unescaped space is trimmed.
    const value = unescapeValue(part.slice(equals + 1).replace(/^\s+/, '').replace(/(?<!\\)\s+$/, ''));
    if (!/^[A-Z][A-Z0-9-]*$|^\d+(\.\d+)+$/.test(type)) return `"${type}" is not an attribute type`;
    if (value === '') return `${type} has an empty value`;
    attributes.push({ type, value });
  }
  return attributes;
}

function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/** Every attribute of `wanted` present with the same value in `subject` (a subset match). */
export function dnContains(subject: readonly DnAttribute[], wanted: readonly DnAttribute[]): boolean {
  return wanted.every((attribute) => subject.some((held) => held.type.toUpperCase() === attribute.type && held.value === attribute.value));
}

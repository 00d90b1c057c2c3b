/**
 * Glob patterns over repository names and tags, as Harbor's tag rules write them: `*` matches within one path
 * component (no "/"), `**` across components, `?` one character other than "/", and everything else itself.
 * Compiled once per pattern; callers keep the compiled matcher.
 *
 * Patterns come from callers (queries, webhook and immutable-tag rules), so matching must not backtrack: a regular
 * expression such as `^[^/]*a[^/]*a…b$` takes exponential time on a long name that almost matches. The matcher
 * instead runs the pattern as a set of positions advanced one character at a time (Thompson's construction), at
 * most pattern length x value length steps, whatever the input.
 */
export function globMatcher(pattern: string): (value: string) => boolean {
  const tokens = tokenize(pattern);
  if (tokens.every((token) => token.kind === 'literal')) return (value) => value === pattern;
  const end = tokens.length;
  /** Marks position `start` and the positions a run of wildcards lets it skip to (they may match nothing). */
  const reach = (positions: Uint8Array, start: number): void => {
    for (let position = start; position <= end && positions[position] === 0; position++) {
      positions[position] = 1;
      const kind = tokens[position]?.kind;
      if (kind !== 'star' && kind !== 'any') return;
    }
  };
  return (value) => {
    let current = new Uint8Array(end + 1);
    let next = new Uint8Array(end + 1);
    reach(current, 0);
    for (let i = 0; i < value.length; i++) {
      const c = value[i]!;
      next.fill(0);
      let alive = false;
      for (let position = 0; position < end; position++) {
        if (current[position] === 0) continue;
        const token = tokens[position]!;
        if (token.kind === 'any' || (token.kind === 'star' && c !== '/')) {
          reach(next, position);
          alive = true;
        } else if ((token.kind === 'one' && c !== '/') || (token.kind === 'literal' && token.char === c)) {
          reach(next, position + 1);
          alive = true;
        }
      }
      if (!alive) return false;
      [current, next] = [next, current];
    }
    return current[end] === 1;
  };
}

/** Whether a pattern is one Berth accepts: printable, at most 256 characters. */
export function isValidGlob(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 256 && !/[\u0000-\u001f\u007f]/.test(pattern);
}

type Token = { readonly kind: 'literal'; readonly char: string } | { readonly kind: 'one' | 'star' | 'any' };

/** `**` (anything), `*` (within a component), `?` (one character but "/"), else one literal character. */
function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      tokens.push({ kind: 'any' });
      i++;
    } else if (c === '*') {
      tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'one' });
    } else {
      tokens.push({ kind: 'literal', char: c });
    }
  }
  return tokens;
}

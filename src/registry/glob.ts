/**
 * Glob patterns over repository names and tags, as Harbor's tag rules write them: `*` matches within one path
 * component (no "/"), `**` across components, `?` one character other than "/", and everything else itself.
 * Compiled once per pattern; callers keep the compiled matcher.
 */
export function globMatcher(pattern: string): (value: string) => boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') {
      source += '[^/]*';
    } else if (c === '?') {
      source += '[^/]';
    } else {
      source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  const regex = new RegExp(`^${source}$`, 's');
  return (value) => regex.test(value);
}

/** Whether a pattern is one Berth accepts: printable, at most 256 characters. */
export function isValidGlob(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 256 && !/[\u0000-\u001f\u007f]/.test(pattern);
}

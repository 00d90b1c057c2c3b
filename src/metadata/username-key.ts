/**
 * Usernames are case-insensitive: `Admin` and `admin` are one account, as LDAP and most registries treat them. The
 * key folds ASCII letters only, as SQL's lower() does on both databases (SQLite without ICU, PostgreSQL on the
 * `collate "C"` username column), so a comparison made here agrees with the unique index on lower(username).
 */
export function usernameKey(username: string): string {
  return username.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** Whether two usernames name the same account. */
export function sameUsername(a: string, b: string): boolean {
  return usernameKey(a) === usernameKey(b);
}

/**
 * The UI's addresses, all under /ui/. Repository names hold slashes, so a repository or an artifact is the rest of
 * the path; an artifact is written as docker writes references: `name:tag` or `name@sha256:…`.
 */

export const paths = {
  signIn: (returnTo?: string) => (returnTo ? `/ui/sign-in?return_to=${encodeURIComponent(returnTo)}` : '/ui/sign-in'),
  projects: () => '/ui/projects',
  project: (name: string, tab?: string) => `/ui/projects/${name}${tab ? `/${tab}` : ''}`,
  repository: (name: string) => `/ui/repo/${name}`,
  artifact: (repository: string, reference: string) => `/ui/artifact/${repository}${reference.includes(':') ? `@${reference}` : `:${reference}`}`,
  search: (q?: string) => (q ? `/ui/search?q=${encodeURIComponent(q)}` : '/ui/search'),
  audit: () => '/ui/audit',
  users: () => '/ui/admin/users',
  groups: () => '/ui/admin/groups',
  jobs: () => '/ui/jobs',
};

/** `team/app:1.0` or `team/app@sha256:…` into its repository and reference; undefined when it is neither. */
export function parseReference(text: string): { repository: string; reference: string } | undefined {
  const at = text.lastIndexOf('@');
  if (at > 0) return { repository: text.slice(0, at), reference: text.slice(at + 1) };
  const slash = text.lastIndexOf('/');
  const colon = text.lastIndexOf(':');
  if (colon > slash && colon > 0) return { repository: text.slice(0, colon), reference: text.slice(colon + 1) };
  return undefined;
}

/** A return path is followed only when it stays inside the UI. */
export function safeReturnTo(value: string | null): string {
  return value !== null && /^\/ui\/[\x21-\x7E]*$/.test(value) && !value.startsWith('//') && !value.includes('\\') ? value : paths.projects();
}

import { isValidName } from '../oci/names.js';
import { actions as knownActions, type Action } from './roles.js';

/** One resource a client asks access to, from the token spec's `type:name:actions` scope strings. */
export type ResourceScope =
  | { readonly type: 'repository'; readonly name: string; readonly actions: readonly Action[] }
  | { readonly type: 'registry'; readonly name: 'catalog'; readonly actions: readonly ['*'] };

/** A scope string that cannot be honoured as written; the token endpoint answers it with 400. */
export class ScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScopeError';
  }
}

const maxScopeLength = 1024;

/**
 * Parses the scope parameters of a token request. Each parameter may hold several scopes separated by spaces (the
 * OAuth form); each scope is `repository:<name>:<actions>` or `registry:catalog:*`. The name sits between the first
 * and the last colon (a name never holds one, but a client may prefix a host with a port, which is refused here);
 * "*" as an action stands for every action. Anything else is refused whole rather than partly honoured, so that a
 * crafted scope can never widen or confuse what is granted.
 */
export function parseScopes(values: readonly string[]): ResourceScope[] {
  const scopes: ResourceScope[] = [];
  for (const value of values) {
    for (const text of value.split(' ')) {
      if (text === '') continue;
      scopes.push(parseScope(text));
    }
  }
  return mergeScopes(scopes);
}

function parseScope(text: string): ResourceScope {
  if (text.length > maxScopeLength) throw new ScopeError(`a scope may have at most ${maxScopeLength} characters`);
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first === -1 || first === last) {
    throw new ScopeError(`scope "${shown(text)}" is malformed: expected repository:<name>:<actions>, for example repository:team/app:pull,push`);
  }
  const type = text.slice(0, first);
  const name = text.slice(first + 1, last);
  const actionList = text.slice(last + 1).split(',');
  if (type === 'registry') {
    if (name !== 'catalog' || actionList.length !== 1 || actionList[0] !== '*') {
      throw new ScopeError(`scope "${shown(text)}" is malformed: the only registry scope is registry:catalog:*`);
    }
    return { type: 'registry', name: 'catalog', actions: ['*'] };
  }
  if (type !== 'repository') {
    throw new ScopeError(`scope "${shown(text)}" has an unknown resource type "${shown(type)}": use repository or registry`);
  }
  if (!isValidName(name)) {
    throw new ScopeError(`scope "${shown(text)}" names no valid repository: use lowercase path components such as team/app`);
  }
  const wanted = new Set<Action>();
  for (const action of actionList) {
    if (action === '*') for (const known of knownActions) wanted.add(known);
    else if ((knownActions as readonly string[]).includes(action)) wanted.add(action as Action);
    else throw new ScopeError(`scope "${shown(text)}" asks for an unknown action "${shown(action)}": use pull, push, delete or *`);
  }
  return { type: 'repository', name, actions: [...wanted] };
}

/** One entry per resource, however many times the client named it. */
function mergeScopes(scopes: readonly ResourceScope[]): ResourceScope[] {
  const merged = new Map<string, ResourceScope>();
  for (const scope of scopes) {
    const key = `${scope.type}:${scope.name}`;
    const previous = merged.get(key);
    if (previous && scope.type === 'repository' && previous.type === 'repository') {
      merged.set(key, { ...scope, actions: [...new Set([...previous.actions, ...scope.actions])] });
    } else {
      merged.set(key, scope);
    }
  }
  if (merged.size > 100) throw new ScopeError('a token request may name at most 100 resources');
  return [...merged.values()];
}

/** Echoes client text in an error without letting it forge log lines or flood the message. */
function shown(text: string): string {
  return JSON.stringify(text.slice(0, 200)).slice(1, -1);
}

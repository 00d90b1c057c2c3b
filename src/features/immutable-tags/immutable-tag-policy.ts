import { projectOf } from '../../auth/roles.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { ImmutableTagRule } from '../../metadata/policy-store.js';
import { VersionedCache } from '../../metadata/versioned-cache.js';
import { globMatcher } from '../../registry/glob.js';
import type { Refusal, RegistryPolicy } from '../../registry/registry-policy.js';

interface CompiledRule {
  readonly rule: ImmutableTagRule;
  readonly repository: (path: string) => boolean;
  readonly tag: (tag: string) => boolean;
}

/**
 * Immutable tags, with Harbor's semantics: once a tag matching one of its project's rules exists, it can be neither
 * moved to another digest nor deleted, nor can the manifest it names be deleted by digest. A new matching tag may
 * be pushed, and pushing the same digest again changes nothing and is allowed. Rules are read once per project
 * and change version.
 */
export function immutableTagPolicy(metadata: MetadataStore): RegistryPolicy {
  const cache = new VersionedCache<readonly CompiledRule[]>(1_000, (rules) => 1 + rules.length, 'immutable_tag_rules');
  const rulesFor = (repository: string): readonly CompiledRule[] | Promise<readonly CompiledRule[]> => {
    const project = projectOf(repository);
    return cache.through(project, metadata.changeVersion(), async () => (await metadata.policies().immutableRules(project)).map(compile));
  };
  /** The first rule that makes `tag` of `repository` immutable. */
  const ruleFor = async (repository: string, tag: string): Promise<ImmutableTagRule | undefined> => {
    const path = pathInProject(repository);
    return (await rulesFor(repository)).find((rule) => rule.repository(path) && rule.tag(tag))?.rule;
  };
  return {
    name: 'immutable-tags',
    async checkPush(_context, push) {
      for (const tag of push.tags) {
        const rule = await ruleFor(push.repository, tag);
        if (!rule) continue;
        const current = await push.currentDigest(tag);
        if (current !== undefined && current !== push.digest) {
          return refusal(rule, push.repository, tag, current, `push it under a new tag instead: ${push.repository}:${tag} cannot be moved from ${current}`);
        }
        // Another push may set the tag between this check and the write: the write itself refuses a move then.
        push.keep(tag);
      }
      return undefined;
    },
    async checkDelete(_context, removal) {
      if ((await rulesFor(removal.repository)).length === 0) return undefined;
      for (const tag of await removal.tags()) {
        const rule = await ruleFor(removal.repository, tag);
        if (rule) return refusal(rule, removal.repository, tag, removal.digest, `${removal.repository}:${tag} cannot be deleted while the rule stands`);
      }
      return undefined;
    },
  };
}

function compile(rule: ImmutableTagRule): CompiledRule {
  return { rule, repository: globMatcher(rule.repositoryPattern), tag: globMatcher(rule.tagPattern) };
}

/** A repository's name below its project ("app/api" of "team/app/api"): what repository patterns match. */
function pathInProject(repository: string): string {
  const slash = repository.indexOf('/');
  return slash === -1 ? '' : repository.slice(slash + 1);
}

function refusal(rule: ImmutableTagRule, repository: string, tag: string, digest: string, what: string): Refusal {
  return {
    rule: `immutable-tags#${rule.id}`,
    message: `the tag ${tag} is immutable under rule ${rule.id} of project ${rule.project} `
      + `(repositories "${rule.repositoryPattern}", tags "${rule.tagPattern}"): ${what}; a maintainer can remove the rule (berth immutable)`,
    detail: { repository, tag, digest, ruleId: rule.id, repositoryPattern: rule.repositoryPattern, tagPattern: rule.tagPattern },
  };
}

import type { AccessStore, Robot, RobotChange, RobotPermission } from '../../metadata/access-store.js';
import type { AccessPolicy } from '../access-policy.js';
import { hashSecret, newSecret, robotSecretPrefix } from '../secrets.js';
import {
  actorName, conflict, isSystemAdmin, notFound, storeWrite, type AdminAction, type AdminActor, type AdminAudit,
} from './admin-actor.js';
import { pageOf, type Page, type PageQuery } from './admin-paging.js';
import { robotPrefix, type CreateRobotRequest, type UpdateRobotRequest } from './admin-requests.js';
import { describeCapability } from './project-admin.js';

const dayMs = 24 * 60 * 60 * 1000;

/**
 * Robot accounts: named `robot$<name>`, holding per-project permissions (pull, push, delete) and a secret shown once
 * at creation and at each rotation, stored only as its hash. System administrators manage any robot, and alone may
 * give one every project ("*"); a project administrator (manage-robots) manages robots whose permissions name only
 * projects they administer, and sees those that name at least one.
 */
export class RobotAdmin {
  readonly #store: AccessStore;
  readonly #policy: AccessPolicy;
  readonly #audit: AdminAudit;

  constructor(store: AccessStore, policy: AccessPolicy, audit: AdminAudit) {
    this.#store = store;
    this.#policy = policy;
    this.#audit = audit;
  }

  /** System administrators list every robot; a project administrator lists those of a project they administer. */
  async list(actor: AdminActor, project: string | undefined, page: PageQuery): Promise<Page<Robot>> {
    if (!isSystemAdmin(actor)) {
      if (project === undefined || project === '*') {
        this.#audit.refuse(actor, undefined, `${actorName(actor)} may list only the robot accounts of a project they administer: give project=<name>`);
      }
      await this.#requireManage(actor, [project], undefined, {});
    }
    const rows = await this.#store.listRobots({ after: page.after, limit: page.limit + 1, ...(project !== undefined && { project }) });
    return pageOf(rows, page.limit, (robot) => robot.name);
  }

  async get(actor: AdminActor, name: string): Promise<Robot> {
    const robot = await this.#find(name);
    if (isSystemAdmin(actor)) return robot;
    for (const project of namedProjects(robot.permissions)) {
      const decision = await this.#policy.project(actor.principal, project);
      if (decision.exists && decision.capabilities.has('manage-robots')) return robot;
    }
    return this.#audit.refuse(actor, undefined,
      `${actorName(actor)} may not see robot account "${robot.name}": that needs ${describeCapability('manage-robots')} in a project it names`);
  }

  async create(actor: AdminActor, request: CreateRobotRequest): Promise<{ robot: Robot; secret: string }> {
    const name = robotPrefix + request.name;
    const detail = { target: name };
    await this.#requireManage(actor, request.permissions.map((permission) => permission.project), 'robot.create', detail);
    await this.#requireProjectsExist(request.permissions);
    const now = Date.now();
    const secret = newSecret(robotSecretPrefix);
    const robot = await storeWrite(() => this.#store.createRobot({
      name, description: request.description, secretHash: hashSecret(secret), permissions: request.permissions,
      expiresAt: expiryOf(request.expiresInDays, now), createdBy: actorName(actor), now,
    }));
    this.#audit.changed(actor, 'robot.create', { ...detail, permissions: robot.permissions, expiresAt: robot.expiresAt ?? null },
      soleProject(robot.permissions));
    return { robot, secret };
  }

  async update(actor: AdminActor, name: string, request: UpdateRobotRequest): Promise<Robot> {
    const robot = await this.#find(name);
    const detail = { target: robot.name };
    const projects = [...robot.permissions, ...(request.permissions ?? [])].map((permission) => permission.project);
    await this.#requireManage(actor, projects, 'robot.update', detail, robot);
    if (request.permissions) await this.#requireProjectsExist(request.permissions);
    const change: RobotChange = {
      ...(request.description !== undefined && { description: request.description }),
      ...(request.permissions !== undefined && { permissions: request.permissions }),
      ...(request.expiresInDays !== undefined && { expiresAt: expiryOf(request.expiresInDays, Date.now()) ?? null }),
    };
    if (Object.keys(change).length === 0) return robot;
    const updated = await this.#store.updateRobot(robot.id, change);
    if (!updated) throw notFound(`no robot account named "${robot.name}"`);
    this.#audit.changed(actor, 'robot.update', {
      ...detail,
      ...(change.description !== undefined && { description: change.description }),
      ...(change.permissions !== undefined && { permissions: change.permissions }),
      ...(change.expiresAt !== undefined && { expiresAt: change.expiresAt }),
    }, soleProject(updated.permissions));
    return updated;
  }

  /** Revokes a robot for good: its secret stops working at once. Revoking a revoked robot changes nothing. */
  async revoke(actor: AdminActor, name: string): Promise<Robot> {
    const robot = await this.#find(name);
    await this.#requireManage(actor, projectsOf(robot), 'robot.revoke', { target: robot.name }, robot);
    if (robot.revokedAt !== undefined) return robot;
    const updated = await this.#store.updateRobot(robot.id, { revokedAt: Date.now() });
    if (!updated) throw notFound(`no robot account named "${robot.name}"`);
    this.#audit.changed(actor, 'robot.revoke', { target: robot.name }, soleProject(robot.permissions));
    return updated;
  }

  /** A new secret for the robot; the old one stops working at once. */
  async rotate(actor: AdminActor, name: string): Promise<{ robot: Robot; secret: string }> {
    const robot = await this.#find(name);
    await this.#requireManage(actor, projectsOf(robot), 'robot.rotate', { target: robot.name }, robot);
    if (robot.revokedAt !== undefined) {
      throw conflict(`robot account "${robot.name}" was revoked, and a new secret would not work: create a new robot account`);
    }
    const secret = newSecret(robotSecretPrefix);
    const updated = await this.#store.updateRobot(robot.id, { secretHash: hashSecret(secret) });
    if (!updated) throw notFound(`no robot account named "${robot.name}"`);
    this.#audit.changed(actor, 'robot.rotate', { target: robot.name }, soleProject(robot.permissions));
    return { robot: updated, secret };
  }

  async delete(actor: AdminActor, name: string): Promise<void> {
    const robot = await this.#find(name);
    await this.#requireManage(actor, projectsOf(robot), 'robot.delete', { target: robot.name }, robot);
    if (!await this.#store.deleteRobot(robot.id)) throw notFound(`no robot account named "${robot.name}"`);
    this.#audit.changed(actor, 'robot.delete', { target: robot.name }, soleProject(robot.permissions));
  }

  /**
   * A system administrator may manage any robot; anyone else only one whose projects are all projects where they
   * hold manage-robots. A project they cannot see is answered as missing.
   */
  async #requireManage(actor: AdminActor, projects: readonly string[], action: AdminAction | undefined,
    detail: Record<string, unknown>, robot?: Robot): Promise<void> {
    if (isSystemAdmin(actor)) return;
    const who = actorName(actor);
    const project = robot ? soleProject(robot.permissions) : undefined;
    if (projects.includes('*')) {
      this.#audit.refuse(actor, action, `${who} may not manage a robot account with access to every project ("*"): only system administrators may`, detail, project);
    }
    for (const name of new Set(projects)) {
      const decision = await this.#policy.project(actor.principal, name);
      if (!decision.exists || !decision.capabilities.has('view-project')) throw notFound(`project "${name}" not found`);
      if (!decision.capabilities.has('manage-robots')) {
        this.#audit.refuse(actor, action,
          `${who} may not manage robot accounts of project "${name}": that needs ${describeCapability('manage-robots')} in every project the robot account's permissions name`,
          detail, project ?? name);
      }
    }
  }

  async #requireProjectsExist(permissions: readonly RobotPermission[]): Promise<void> {
    for (const { project } of permissions) {
      if (project !== '*' && !await this.#store.projectByName(project)) {
        throw notFound(`project "${project}" not found: create it before giving a robot account access to it`);
      }
    }
  }

  /** The robot by its full name; the "robot$" prefix may be left out. */
  async #find(name: string): Promise<Robot> {
    const fullName = name.startsWith(robotPrefix) ? name : robotPrefix + name;
    const robot = await this.#store.robotByName(fullName);
    if (!robot) throw notFound(`no robot account named "${fullName}"`);
    return robot;
  }
}

function expiryOf(days: number | null | undefined, now: number): number | undefined {
  return days === undefined || days === null ? undefined : now + days * dayMs;
}

function projectsOf(robot: Robot): string[] {
  return robot.permissions.map((permission) => permission.project);
}

function namedProjects(permissions: readonly RobotPermission[]): string[] {
  return permissions.map((permission) => permission.project).filter((project) => project !== '*');
}

/** The project a robot's audit events are filed under: its one project, when it names exactly one. */
function soleProject(permissions: readonly RobotPermission[]): string | undefined {
  return permissions.length === 1 && permissions[0]!.project !== '*' ? permissions[0]!.project : undefined;
}

import type { Principal } from '../../auth/principal.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { ProjectImage, ProjectScanTotals } from '../../metadata/scan-store.js';
import { decodeProjectImageCursor, projectImageCursor } from './project-image-cursor.js';

export interface ProjectReadAccess {
  /** Whether the caller may read the project (pull from it): a public one, one they hold a role in, any with access control off. */
  mayRead(principal: Principal, project: string): Promise<boolean>;
  exists(project: string): Promise<boolean>;
}

export interface ProjectVulnerabilities {
  readonly project: string;
  readonly totals: ProjectScanTotals;
  readonly images: readonly ProjectImage[];
  /** The cursor of the next page; undefined on the last one. */
  readonly next: string | undefined;
}

/**
 * A project's vulnerability overview: its images worst first, a page at a time, with the project's figures. Read by
 * whoever may pull from the project; a project the caller may not see is answered as one that does not exist.
 */
export class ProjectVulnerabilityService {
  constructor(private readonly metadata: MetadataStore, private readonly access: ProjectReadAccess) {}

  async overview(principal: Principal, project: string, last: string | undefined, limit: number): Promise<ProjectVulnerabilities> {
    const after = last === undefined ? undefined : decodeProjectImageCursor(last);
    if (!(await this.access.mayRead(principal, project)) || !(await this.access.exists(project))) {
      throw new RegistryError('NOT_FOUND', `there is no project "${project.slice(0, 255)}" you may see: check the name, or sign in`, { project });
    }
    const scans = this.metadata.scans();
    const [rows, totals] = await Promise.all([scans.projectImages(project, after, limit + 1), scans.projectScanTotals(project)]);
    const images = rows.slice(0, limit);
    return { project, totals, images, next: rows.length > limit ? projectImageCursor(images[images.length - 1]!) : undefined };
  }
}

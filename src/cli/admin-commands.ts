import type { Command } from 'commander';
import { registerAuditCommands } from './audit-commands.js';
import { registerCliSecretCommands } from './cli-secret-commands.js';
import { addConnectionOptions } from './connection.js';
import { registerGroupCommands } from './group-commands.js';
import { registerInsightCommands } from './insight-commands.js';
import { registerLoginCommands } from './login-commands.js';
import { registerPolicyCommands } from './policy-commands.js';
import { registerProjectCommands } from './project-commands.js';
import { registerRobotCommands } from './robot-commands.js';
import { registerScanCommands } from './scan-commands.js';
import { registerScannerCommands } from './scanner-commands.js';
import { registerUserCommands } from './user-commands.js';
import { registerVulnerabilityPolicyCommands } from './vulnerability-policy-commands.js';
import { registerTrustCommands } from './trust-commands.js';
import { registerWebhookCommands } from './webhook-commands.js';

/**
 * The commands that manage a running registry through its administration API (/api/v1), from anywhere that can
 * reach it: login, users, projects, robots, groups, CLI secrets, the audit log, immutable tags, quarantine and recall,
 * webhooks, insight, vulnerability scans and vulnerability policies.
 */
export function registerAdminCommands(program: Command): void {
  addConnectionOptions(program);
  registerLoginCommands(program);
  registerUserCommands(program);
  registerProjectCommands(program);
  registerRobotCommands(program);
  registerGroupCommands(program);
  registerCliSecretCommands(program);
  registerAuditCommands(program);
  registerPolicyCommands(program);
  registerWebhookCommands(program);
  registerInsightCommands(program);
  registerScanCommands(program);
  registerScannerCommands(program);
  registerVulnerabilityPolicyCommands(program);
  registerTrustCommands(program);
}

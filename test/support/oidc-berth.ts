import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startBerthProcess, type BerthProcess } from './berth-process.js';
import { freePort } from './free-port.js';
import { startOidcProvider, type OidcProviderHandle } from './oidc-provider.js';

export interface OidcBerth {
  readonly provider: OidcProviderHandle;
  readonly berth: BerthProcess;
}

export interface OidcBerthOptions {
  /** Folder for Berth's configuration file. */
  readonly work: string;
  readonly adminPassword: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly users: Parameters<typeof startOidcProvider>[0]['users'];
}

/**
 * A real OpenID Provider and a Berth process signing users in through it (with an administrator password too).
 * Berth's port is chosen first, since the provider redirects only to the callback URL registered for the client.
 * If Berth fails to start, the provider is stopped before the error is passed on.
 */
export async function startOidcBerth(options: OidcBerthOptions): Promise<OidcBerth> {
  const { work, adminPassword, clientId, clientSecret, users } = options;
  const port = await freePort();
  const provider = await startOidcProvider({
    clients: [{ clientId, clientSecret, redirectUris: [`http://127.0.0.1:${port}/auth/oidc/callback`] }],
    users,
  });
  try {
    const configFile = join(work, 'berth.yaml');
    writeFileSync(configFile, stringify({
      auth: {
        adminPassword,
        oidc: { issuer: provider.issuer, clientId, clientSecret, scopes: ['openid', 'profile', 'email', 'groups'] },
      },
    }));
    // The later --listen wins over the helper's own 127.0.0.1:0.
    const berth = await startBerthProcess({ args: ['--config', configFile, '--listen', `127.0.0.1:${port}`] });
    if (berth.port !== port) throw new Error(`berth listens on ${berth.port}, not the port ${port} the provider expects`);
    return { provider, berth };
  } catch (error) {
    await provider.stop();
    throw error;
  }
}

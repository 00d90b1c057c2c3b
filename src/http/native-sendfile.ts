import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

/** The addon built from native/sendfile.c (see there for its contract). */
export interface SendfileAddon {
  sendFile(socketFd: number, fileFd: number, offset: number, length: number, waitMs: number): Promise<number>;
}

let loaded: { addon: SendfileAddon | undefined; why: string } | undefined;

/**
 * The sendfile addon, or undefined with the reason: it is not built (no C compiler when Berth was installed), or
 * BERTH_SENDFILE=0 turned it off. Without it, pulls stream through JavaScript buffers: correct, only slower.
 */
export function sendfileAddon(): { addon: SendfileAddon | undefined; why: string } {
  if (loaded) return loaded;
  if (process.platform !== 'linux') loaded = { addon: undefined, why: 'sendfile(2) is used on Linux only' };
  else if (process.env.BERTH_SENDFILE === '0') loaded = { addon: undefined, why: 'BERTH_SENDFILE=0 turned it off' };
  else {
    const addonPath = join(packageRoot(), 'native', 'build', 'sendfile.node');
    try {
      loaded = { addon: createRequire(import.meta.url)(addonPath) as SendfileAddon, why: 'loaded' };
    } catch (error) {
      loaded = {
        addon: undefined,
        why: `${addonPath} did not load (${(error as Error).message.split('\n')[0]}); build it with "npm run build:native", which needs a C compiler`,
      };
    }
  }
  return loaded;
}

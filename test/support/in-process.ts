import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createBerth, type Berth } from '../../src/app.js';
import type { BerthConfigInput } from '../../src/config/config-schema.js';
import { configSchema } from '../../src/config/config-schema.js';

export interface InProcessBerth {
  readonly berth: Berth;
  readonly url: string;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** Starts Berth inside the test process on a free loopback port: protocol tests speak real HTTP to it. */
export async function startInProcess(config: Partial<BerthConfigInput> = {}): Promise<InProcessBerth> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-proto-'));
  const berth = await createBerth(configSchema.parse({ listen: '127.0.0.1:0', dataDir, ...config }), pino({ level: 'silent' }));
  const { port } = await berth.listen();
  return {
    berth,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    async close() {
      await berth.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

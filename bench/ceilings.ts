import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { MiB, RandomContent } from './client/content.js';
import type { Profile } from './profiles.js';
import type { CeilingName } from './scenarios/scenario.js';

export type Ceilings = Record<CeilingName, number>;

export const ceilingLabels: Record<CeilingName, string> = {
  sha256: 'sha256, one thread (Node crypto)',
  generator: "the benchmark's random-content generator (AES-128-CTR)",
  fsyncWrite: "write + fsync on the data disk",
  loopback: 'TCP over loopback, one connection, write(2) from memory to another process (sendfile can pass it)',
};

/** The machine's own limits, in MB/s: what any registry's figures can be read against. */
export async function measureCeilings(profile: Profile, dataDir: string): Promise<Ceilings> {
  const { sha256Bytes, generatorBytes, fsyncBytes, loopbackBytes } = profile.ceilings;
  return {
    sha256: sha256Rate(sha256Bytes),
    generator: generatorRate(generatorBytes),
    fsyncWrite: await fsyncWriteRate(dataDir, fsyncBytes),
    loopback: await loopbackRate(loopbackBytes),
  };
}

const mbPerSecond = (bytes: number, start: number): number => bytes / 1e6 / ((performance.now() - start) / 1000);

function sha256Rate(bytes: number): number {
  const chunk = randomBytes(MiB);
  const hash = createHash('sha256');
  hash.update(chunk);
  const start = performance.now();
  for (let done = 0; done < bytes; done += chunk.length) hash.update(chunk);
  hash.digest();
  return mbPerSecond(bytes, start);
}

function generatorRate(bytes: number): number {
  const start = performance.now();
  let seen = 0;
  for (const chunk of new RandomContent(bytes).chunks()) seen += chunk.length;
  return mbPerSecond(seen, start);
}

/** Random bytes written in 1 MiB writes to a new file on the data disk, then fsynced: time to durable. */
async function fsyncWriteRate(dir: string, bytes: number): Promise<number> {
  const path = join(dir, 'ceiling-fsync.tmp');
  const chunks = [...new RandomContent(Math.min(bytes, 64 * MiB)).chunks()];
  const file = await open(path, 'w');
  try {
    const start = performance.now();
    let written = 0;
    for (let i = 0; written < bytes; i++) {
      const chunk = chunks[i % chunks.length]!;
      await file.write(chunk, 0, chunk.length, written);
      written += chunk.length;
    }
    await file.sync();
    return mbPerSecond(written, start);
  } finally {
    await file.close();
    await rm(path, { force: true });
  }
}

/**
 * One TCP connection over 127.0.0.1 to a sink in another Node process (so each end has its own core, as a
 * registry and its client do): bytes written until the sink confirms it received them all. The sink reads into one
 * reused buffer, as the benchmark's pull client does (bench/client/lean-get.ts).
 */
async function loopbackRate(bytes: number): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const sink = spawn(process.execPath, ['-e', `
    const total = Number(process.argv[1]);
    let seen = 0;
    const socket = require('node:net').connect({ port: Number(process.argv[2]), host: '127.0.0.1', onread: {
      buffer: Buffer.allocUnsafe(1 << 20),
      callback(size) { seen += size; if (seen >= total) socket.end('k'); return true; },
    } });
  `, String(bytes), String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const socket = await accepted;
    const chunk = randomBytes(MiB);
    const start = performance.now();
    const acknowledged = new Promise<void>((resolve, reject) => {
      socket.once('data', () => resolve());
      socket.once('error', reject);
      sink.once('exit', (code) => reject(new Error(`loopback sink exited with ${code}`)));
    });
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      if (!socket.write(chunk)) await new Promise<void>((resolve) => socket.once('drain', resolve));
    }
    await acknowledged;
    const rate = mbPerSecond(bytes, start);
    socket.destroy();
    return rate;
  } finally {
    sink.kill('SIGKILL');
    server.close();
  }
}

import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';

/** Whether `path` exists and may be executed. */
export async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `apt-get update` then `apt-get install` of Debian packages, with output shown. */
export async function aptInstall(packages: string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const step = (args: string[]): Promise<void> => new Promise((resolve, reject) => {
    const child = spawn('apt-get', args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`apt-get ${args.join(' ')} exited with ${code}`))));
  });
  // Another apt-get (a test setup, say) may hold the lock for a while: wait for it rather than fail.
  const wait = ['-o', 'DPkg::Lock::Timeout=300'];
  await step([...wait, 'update', '-qq']);
  await step([...wait, 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
}

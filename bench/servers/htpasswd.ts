import { execFileSync } from 'node:child_process';

/**
 * The bcrypt cost of the htpasswd entry Distribution checks: 10, Go's bcrypt.DefaultCost, which Distribution itself
 * uses when it provisions a missing htpasswd file (registry/auth/htpasswd). Apache's `htpasswd -B` would write
 * cost 5 unless given -C; Distribution's documentation names no cost.
 */
export const bcryptCost = 10;

/** One way to compute a bcrypt hash: a command and its arguments, the password on its standard input. */
interface Hasher {
  readonly tool: string;
  readonly command: string;
  readonly args: (cost: number) => string[];
  /** The hash from the command's output. */
  readonly parse: (output: string) => string;
}

const pythonCrypt = (command: string): Hasher => ({
  tool: `${command} crypt.crypt with crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2**cost) (libxcrypt)`,
  command,
  args: (cost) => ['-W', 'ignore::DeprecationWarning', '-c',
    `import crypt, sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=${2 ** cost})))`],
  parse: (output) => output.trim(),
});

/** In order of preference; the first that works is used. No npm dependency: the machine's own tools. */
const hashers: readonly Hasher[] = [
  pythonCrypt('python3'),
  // Debian's own Python, should the one first on PATH lack the crypt module (removed in Python 3.13).
  pythonCrypt('/usr/bin/python3'),
  { tool: 'mkpasswd -m bcrypt', command: 'mkpasswd', args: (cost) => ['-m', 'bcrypt', '-R', String(cost), '--stdin'], parse: (output) => output.trim() },
  { tool: 'htpasswd -B', command: 'htpasswd', args: (cost) => ['-niBC', String(cost), 'user'], parse: (output) => output.trim().slice('user:'.length) },
];

let chosen: Hasher | undefined;

/** A bcrypt hash of `password` at `cost`, and the tool that computed it. */
export function bcryptHash(password: string, cost = bcryptCost): { hash: string; tool: string } {
  const failures: string[] = [];
  for (const hasher of chosen ? [chosen] : hashers) {
    try {
      const output = execFileSync(hasher.command, hasher.args(cost), { input: password, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
      const hash = hasher.parse(output);
      const match = /^\$2[abxy]\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(hash);
      if (!match) throw new Error(`answered "${hash.slice(0, 80)}", not a bcrypt hash`);
      if (Number(match[1]) !== cost) throw new Error(`answered a hash of cost ${match[1]}, not ${cost}`);
      chosen = hasher;
      return { hash, tool: hasher.tool };
    } catch (error) {
      const message = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
      failures.push(`${hasher.tool}: ${message.split('\n').at(-1)}`);
    }
  }
  throw new Error(`could not compute a bcrypt hash for Distribution's htpasswd file:\n  ${failures.join('\n  ')}`);
}

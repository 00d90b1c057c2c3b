import { OperatorError } from '../errors/operator-error.js';

/** Everything on standard input, without the line break that ends it (`echo secret | berth login …`). */
export async function readStdin(what: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`${what} (end with Ctrl-D): `);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new OperatorError(`no ${what} on standard input`);
  return text;
}

/** Asks for a secret on the terminal without echoing it. */
export async function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) throw new OperatorError(`cannot ask for the ${question.replace(/:\s*$/, '')}: standard input is not a terminal (use --password-stdin or the environment)`);
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (data: Buffer): void => {
        for (const char of data.toString('utf8')) {
          if (char === '\r' || char === '\n') {
            input.off('data', onData);
            process.stderr.write('\n');
            resolve(typed);
            return;
          }
          if (char === '\u0003') {
            input.off('data', onData);
            process.stderr.write('\n');
            reject(new OperatorError('cancelled'));
            return;
          }
          // Backspace and delete take back the last character; other control characters are ignored.
          if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
          else if (char >= ' ') typed += char;
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
  }
}

/** A new password, from standard input when asked to, else typed twice on the terminal. */
export async function newPassword(fromStdin: boolean, whose: string): Promise<string> {
  if (fromStdin) return readStdin(`new password for ${whose}`);
  const first = await promptHidden(`New password for ${whose}: `);
  const second = await promptHidden('Repeat it: ');
  if (first !== second) throw new OperatorError('the two passwords differ: nothing was changed');
  return first;
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { urlsOf } from '../../src/cli/webhook-commands.js';
import { addConnectionOptions } from '../../src/cli/connection.js';

/**
 * `berth webhook create PROJECT --url RECEIVER`: the program's own --url names the registry, and commander hands it
 * every --url of the line, so the CLI reads the words again to tell the two apart.
 */
describe('webhook CLI: which --url is the receiver and which the registry', () => {
  const urls = async (words: string[]) => {
    const program = new Command().exitOverride();
    addConnectionOptions(program);
    let found: ReturnType<typeof urlsOf> | undefined;
    program.command('webhook').command('create <project>').option('--url <url>').option('--json')
      .action((_project, _options, command: Command) => { found = urlsOf(command); });
    await program.parseAsync(['node', 'berth.js', ...words]);
    return found;
  };

  it('takes a --url after the command for the receiver, the registry coming from elsewhere', async () => {
    assert.deepEqual(await urls(['webhook', 'create', 'team', '--url', 'https://hooks/x']), { target: 'https://hooks/x', registry: undefined });
    assert.deepEqual(await urls(['webhook', 'create', 'team', '--url=https://hooks/x', '--json']), { target: 'https://hooks/x', registry: undefined });
  });

  it('takes a --url before "webhook" for the registry', async () => {
    assert.deepEqual(await urls(['--url', 'https://registry', '-u', 'webhook', 'webhook', 'create', 'team', '--url', 'https://hooks/x']),
      { target: 'https://hooks/x', registry: 'https://registry' });
  });

  it('takes a second --url after the receiver\'s for the registry', async () => {
    assert.deepEqual(await urls(['webhook', 'create', 'team', '--url', 'https://hooks/x', '-u', 'admin', '--url', 'https://registry']),
      { target: 'https://hooks/x', registry: 'https://registry' });
  });

  it('refuses a third --url rather than guess', async () => {
    await assert.rejects(urls(['--url', 'a', 'webhook', 'create', 'team', '--url', 'b', '--url', 'c']), /--url is given too often/);
  });

  it('leaves the receiver unset when no --url follows the command', async () => {
    assert.deepEqual(await urls(['--url', 'https://registry', 'webhook', 'create', 'team']), { target: undefined, registry: 'https://registry' });
  });
});

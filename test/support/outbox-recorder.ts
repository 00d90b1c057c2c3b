/**
 * A node that feeds one outbox consumer, run as a child process by test/crash/kill-outbox-dispatcher.test.ts so
 * that it can be killed with SIGKILL mid-batch: the consumer appends each event id it handles to a file (fsynced,
 * so what it handled survives the kill) and dawdles a little per event. Arguments: database path, output file.
 */
import { appendFileSync, closeSync, fsyncSync, openSync } from 'node:fs';
import { pino } from 'pino';
import { OutboxDispatcher } from '../../src/events/outbox-dispatcher.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';

const [database, output] = process.argv.slice(2) as [string, string];
const store = await openSqliteMetadataStore(database);
const dispatcher = new OutboxDispatcher(store.outbox(), [{
  name: 'recorder',
  async handle(events) {
    for (const event of events) {
      const fd = openSync(output, 'a');
      appendFileSync(fd, `${event.id}\n`);
      fsyncSync(fd);
      closeSync(fd);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  },
}], `recorder-${process.pid}`, pino({ level: 'silent' }), { pollMs: 20, leaseMs: 500, batch: 25 });
await dispatcher.start();
process.stdout.write('started\n');

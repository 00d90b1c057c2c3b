import { Command, InvalidArgumentError } from 'commander';
import { createBerth, migrateMetadata } from './app.js';
import { registerAdminCommands } from './cli/admin-commands.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { OperatorError } from './errors/operator-error.js';

const program = new Command()
  .name('berth')
  .description('Berth: a self-hosted OCI container image registry');

program.command('serve')
  .description('run the registry (embedded default: filesystem blobs and SQLite metadata under --data)')
  .option('-c, --config <file>', 'YAML configuration file (also BERTH_CONFIG)')
  .option('-l, --listen <host:port>', 'address to listen on (default 127.0.0.1:5000)')
  .option('-d, --data <dir>', 'data folder for blobs and the database (default ./berth-data)')
  .option('--tls-cert <file>', 'TLS certificate (PEM); needs --tls-key')
  .option('--tls-key <file>', 'TLS private key (PEM); needs --tls-cert')
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
  .action(async (options: Record<string, string | undefined>) => {
    const config = loadConfig({
      file: options.config ?? process.env.BERTH_CONFIG,
      env: process.env,
      overrides: {
        listen: options.listen,
        dataDir: options.data,
        'tls.cert': options.tlsCert,
        'tls.key': options.tlsKey,
        'log.level': options.logLevel,
      },
    });
    const berth = await createBerth(config);
    await berth.listen();
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      berth.log.info({ signal }, 'shutting down: letting in-flight requests finish');
      berth.close().then(() => process.exit(0), (error: unknown) => {
        berth.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

program.command('migrate')
  .description('bring the metadata database up to date (PostgreSQL from BERTH_DATABASE_URL, else SQLite under --data), then exit')
  .option('-c, --config <file>', 'YAML configuration file (also BERTH_CONFIG)')
  .option('-d, --data <dir>', 'data folder holding the SQLite database (default ./berth-data)')
  .option('--database-url <url>', 'postgres:// URL (also BERTH_DATABASE_URL)')
  .action(async (options: Record<string, string | undefined>) => {
    const config = loadConfig({
      file: options.config ?? process.env.BERTH_CONFIG,
      env: process.env,
      overrides: { dataDir: options.data, 'database.url': options.databaseUrl, 'database.migrate': true, 'log.level': 'warn' },
    });
    const applied = await migrateMetadata(config);
    process.stdout.write(applied.length > 0
      ? `berth: applied migrations ${applied.join(', ')}\n`
      : 'berth: the metadata database is up to date\n');
  });

registerAdminCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`berth: ${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof OperatorError) {
    process.stderr.write(`berth: ${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof InvalidArgumentError) throw error;
  process.stderr.write(`berth: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

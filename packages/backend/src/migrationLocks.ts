import {
  coreServices,
  createServiceFactory,
  DatabaseService,
} from '@backstage/backend-plugin-api';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { ConfigReader } from '@backstage/config';

type Knex = Awaited<ReturnType<DatabaseService['getClient']>>;

/** The knex migration tables of a plugin's database: the plugin's own, the scheduler's and the auth key store's. */
const MIGRATION_TABLES = [
  'knex_migrations',
  'backstage_backend_tasks__knex_migrations',
  'backstage_backend_public_keys__knex_migrations',
];
/** Any fixed key: serialises this preparation across every instance on the database server. */
const ADVISORY_LOCK_KEY = 7_470_111_014;

/**
 * Knex creates a plugin's migration lock table and its one row on the first migration. Two instances doing that at
 * once on an empty PostgreSQL database can both insert the row; with two rows knex's lock (`UPDATE ... WHERE
 * is_locked = 0` must change exactly one row) fails for ever with "Migration table is already locked", and that
 * plugin never starts again (seen with the notifications backend when two replicas started together). Before a
 * plugin gets its client, this makes each lock table exist with exactly one row, one instance at a time.
 */
async function prepareLockTables(knex: Knex): Promise<void> {
  // knex names PostgreSQL 'pg', 'postgres' or 'postgresql'.
  if (!/^(pg|postgres)/.test(String(knex.client.config.client))) return;
  await knex.transaction(async trx => {
    await trx.raw('select pg_advisory_xact_lock(?)', [ADVISORY_LOCK_KEY]);
    for (const migrations of MIGRATION_TABLES) {
      const table = `${migrations}_lock`;
      // The same shapes as knex's own tables (created at once by two instances, they also collide).
      await trx.raw(
        'create table if not exists ?? ("id" serial primary key, "name" varchar(255), "batch" integer, "migration_time" timestamptz)',
        [migrations],
      );
      await trx.raw(
        'create table if not exists ?? ("index" serial primary key, "is_locked" integer)',
        [table],
      );
      const rows: Array<{ index: number }> = await trx(table)
        .select('index')
        .orderBy('index');
      if (rows.length === 0) await trx(table).insert({ is_locked: 0 });
      // A second row is what the race left: knex can never take the lock again. The first row keeps its state.
      if (rows.length > 1)
        await trx(table).where('index', '>', rows[0].index).delete();
    }
  });
}

/**
 * Backstage's database service (backend-defaults' databaseServiceFactory, same configuration), whose clients come
 * with their migration lock tables prepared (see prepareLockTables).
 */
export const migrationLockSafeDatabaseServiceFactory = createServiceFactory({
  service: coreServices.database,
  deps: {
    config: coreServices.rootConfig,
    lifecycle: coreServices.lifecycle,
    logger: coreServices.logger,
    pluginMetadata: coreServices.pluginMetadata,
    rootLifecycle: coreServices.rootLifecycle,
    rootLogger: coreServices.rootLogger,
  },
  async createRootContext({ config, rootLifecycle, rootLogger }) {
    return DatabaseManager.fromConfig(
      config.getOptional('backend.database')
        ? config
        : new ConfigReader({
            backend: {
              database: { client: 'better-sqlite3', connection: ':memory:' },
            },
          }),
      { rootLifecycle, rootLogger },
    );
  },
  async factory({ pluginMetadata, lifecycle, logger }, manager) {
    const database = manager.forPlugin(pluginMetadata.getId(), {
      lifecycle,
      logger,
    });
    let client: Promise<Knex> | undefined;
    return {
      migrations: database.migrations,
      getClient() {
        client ??= database
          .getClient()
          .then(async knex => {
            await prepareLockTables(knex);
            return knex;
          })
          .catch(error => {
            client = undefined; // the next call tries again
            throw error;
          });
        return client;
      },
    };
  },
});

import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';

const MIGRATIONS = resolvePackagePath(
  '@model-factory/plugin-sagemaker-mlflow-backend',
  'migrations',
);

/** An event's identity: the same event seen twice (by two instances, twice by one) has the same key. */
export interface EventIdentity {
  entityRef: string;
  kind: string;
  resource: string;
  state: string;
}

export function eventKey(e: EventIdentity): string {
  return [e.entityRef.toLocaleLowerCase('en-US'), e.kind, e.resource, e.state]
    .join('|')
    .slice(0, 1024);
}

/** A primary key violation, as PostgreSQL, SQLite and MySQL report it. */
function isDuplicate(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e.code === '23505' ||
    e.code === 'ER_DUP_ENTRY' ||
    (e.code?.startsWith('SQLITE_CONSTRAINT') ?? false) ||
    /UNIQUE constraint failed/.test(e.message ?? '')
  );
}

/**
 * The plugin's record of events already notified, shared by every backend instance through its database. Claiming
 * an event inserts its key: the insert of only one claimant succeeds, and only that one sends.
 */
export class NotificationLedger {
  private constructor(private readonly db: Knex) {}

  static async create(database: DatabaseService): Promise<NotificationLedger> {
    const db = await database.getClient();
    if (!database.migrations?.skip) {
      await db.migrate.latest({ directory: MIGRATIONS });
    }
    return new NotificationLedger(db);
  }

  /** True when this caller is the first to claim the event (and should send it); false when it was claimed before. */
  async claim(event: EventIdentity, sent = true): Promise<boolean> {
    try {
      await this.db('notified_events').insert({
        event_key: eventKey(event),
        entity_ref: event.entityRef.toLocaleLowerCase('en-US'),
        kind: event.kind,
        sent,
      });
      return true;
    } catch (error) {
      if (isDuplicate(error)) return false;
      throw error;
    }
  }

  /** Gives a claim back when its notification could not be sent, so that a later run sends it. */
  async release(event: EventIdentity): Promise<void> {
    await this.db('notified_events')
      .where({ event_key: eventKey(event) })
      .delete();
  }

  /** Whether the watcher has looked at this entity before (its history was recorded). */
  async isWatched(entityRef: string): Promise<boolean> {
    const row = await this.db('watched_entities')
      .where({ entity_ref: entityRef.toLocaleLowerCase('en-US') })
      .first();
    return Boolean(row);
  }

  async markWatched(entityRef: string): Promise<void> {
    try {
      await this.db('watched_entities').insert({
        entity_ref: entityRef.toLocaleLowerCase('en-US'),
      });
    } catch (error) {
      if (!isDuplicate(error)) throw error;
    }
  }
}

import { createHash, randomUUID } from 'crypto';
import type {
  CacheService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import type {
  DeferredEntity,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import type { ModelSource } from './ModelSources';

const LOCATION_KEY = 'sagemaker-mlflow-models';
const LAST_RUN_KEY = 'sagemaker-mlflow-models:last-run';
const LAST_RUN_TTL_MS = 7 * 24 * 3600 * 1000;

interface Emitted {
  /** The entity's name as emitted (the map key is its lowercase form: entity refs ignore case). */
  name: string;
  hash: string;
  source: string;
}

/** What one run did: for logs, tests and the benchmark. */
export interface ModelProviderRun {
  type: 'full' | 'delta';
  /** Entities read from the sources this run. */
  total: number;
  /** Entities sent to the catalog (all of them for `full`; added or changed for `delta`). */
  emitted: number;
  removed: number;
  failedSources: string[];
}

/**
 * MLflow registered models and SageMaker model package groups as `kind: Resource`, `spec.type: ml-model` entities.
 *
 * Incremental: the first run in a process applies a `full` mutation; later runs hash each entity and apply a
 * `delta` of only the added or changed ones and the removed ones. The hashes live in this process's memory.
 * - Across a restart nothing is remembered: the first run is `full` again (the catalog itself compares what it
 *   gets with what it has, so unchanged entities are not reprocessed; removed models are removed).
 * - Several backend instances: the scheduler runs the task on one instance at a time, but not always the same
 *   one, and an instance's hashes are then stale (another instance may have added and removed a model since).
 *   Each run leaves its id in the shared cache; a run whose instance did not leave the id there (another one ran
 *   since, or the cache lost it) is `full`, so a stale delta never removes too little.
 * A source that fails (an MLflow server down, an account without credentials) keeps its entities: a `delta` run
 * carries its last hashes over; a run that would be `full` is applied as a `delta` of the answered sources' entities
 * with no removals (a `full` mutation would remove the failed source's) and recorded as incomplete, so later runs
 * are deltas of the answered sources and the first run in which every source answers is `full`. A source that is
 * down for good (a retired server still in config) thus never stops the others' models from being updated.
 */
export class ModelEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private last?: {
    runId: string;
    entities: Map<string, Emitted>;
    /** A full run with failed sources: the catalog may hold entities these hashes do not know of. */
    incomplete: boolean;
  };

  constructor(
    private readonly options: {
      /** The sources of one run (called once per run). */
      sources: () => ModelSource[];
      logger: LoggerService;
      cache?: CacheService;
    },
  ) {}

  getProviderName(): string {
    return 'sagemaker-mlflow-models';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
  }

  async run(): Promise<ModelProviderRun> {
    if (!this.connection) throw new Error('Not connected to the catalog');
    const { logger } = this.options;
    const previous = (await this.lastRunIsOurs()) ? this.last : undefined;
    // Full unless a source fails (decided at the end); a delta otherwise.
    const wantFull = !previous || previous.incomplete;
    const seen = new Map<string, Emitted>();
    // Every entity read (a full mutation), and those added or changed since `previous` (a delta).
    const all: DeferredEntity[] = [];
    const changed: DeferredEntity[] = [];
    const failedSources: string[] = [];

    for (const source of this.options.sources()) {
      try {
        for await (const page of source.pages()) {
          for (const entity of page) {
            const name = entity.metadata.name;
            // Entity refs ignore case: `Churn` and `churn` would be one entity to the catalog.
            const key = name.toLocaleLowerCase('en-US');
            const mine = seen.get(key);
            if (mine) {
              // Two models normalised to one name (a crafted name matching another's hashed form): the first
              // read keeps it; the catalog cannot hold two entities of one name.
              logger.warn(
                `Model entity ${name} of ${source.id} has the name of one already read from ${mine.source}; skipped`,
              );
              continue;
            }
            const hash = createHash('sha256')
              .update(JSON.stringify(entity))
              .digest('base64');
            seen.set(key, { name, hash, source: source.id });
            const deferred = { entity, locationKey: LOCATION_KEY };
            if (wantFull) all.push(deferred);
            if (previous?.entities.get(key)?.hash !== hash)
              changed.push(deferred);
          }
        }
      } catch (error) {
        failedSources.push(source.id);
        logger.warn(
          `Model source ${source.id} failed; keeping its entities until it answers: ${error}`,
        );
        for (const [key, entry] of previous?.entities ?? []) {
          if (entry.source === source.id && !seen.has(key))
            seen.set(key, entry);
        }
      }
    }

    const full = wantFull && failedSources.length === 0;
    const emitted = full ? all : changed;
    let removed = 0;
    if (full) {
      await this.connection.applyMutation({ type: 'full', entities: all });
    } else {
      // Only entities these hashes know of can be found gone: none of a failed source's, none before the first run.
      const gone = previous
        ? [...previous.entities.entries()].filter(([key]) => !seen.has(key))
        : [];
      removed = gone.length;
      if (emitted.length || gone.length) {
        await this.connection.applyMutation({
          type: 'delta',
          added: emitted,
          removed: gone.map(([, { name }]) => ({
            entityRef: stringifyEntityRef({
              kind: 'Resource',
              namespace: 'default',
              name,
            }),
            locationKey: LOCATION_KEY,
          })),
        });
      }
    }
    const runId = randomUUID();
    this.last = {
      runId,
      entities: seen,
      incomplete: wantFull && !full,
    };
    if (this.last.incomplete) {
      logger.warn(
        `Model entities: full run incomplete (${failedSources.join(
          ', ',
        )} failed); applied the other sources as a delta without removals, full again once every source answers`,
      );
    }
    await this.options.cache
      ?.set(LAST_RUN_KEY, runId, { ttl: LAST_RUN_TTL_MS })
      .catch(error =>
        logger.warn(`Could not record the model run in the cache: ${error}`),
      );
    const result: ModelProviderRun = {
      type: full ? 'full' : 'delta',
      total: seen.size,
      emitted: emitted.length,
      removed,
      failedSources,
    };
    logger.info(
      `Model entities: ${result.type} run, ${result.total} models, ${result.emitted} emitted, ${result.removed} removed`,
    );
    return result;
  }

  /** Whether the last run of the task (on any instance) was this instance's last run. */
  private async lastRunIsOurs(): Promise<boolean> {
    if (!this.last) return false;
    if (!this.options.cache) return true;
    try {
      return (await this.options.cache.get(LAST_RUN_KEY)) === this.last.runId;
    } catch {
      return false;
    }
  }
}

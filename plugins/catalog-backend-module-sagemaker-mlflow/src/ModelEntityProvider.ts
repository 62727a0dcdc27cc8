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
 * carries its last hashes over; a `full` run is not applied at all (it would remove them) and is retried next run.
 */
export class ModelEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private last?: { runId: string; entities: Map<string, Emitted> };

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
    const full = !previous;
    const seen = new Map<string, Emitted>();
    const emitted: DeferredEntity[] = [];
    const failedSources: string[] = [];

    for (const source of this.options.sources()) {
      try {
        for await (const page of source.pages()) {
          for (const entity of page) {
            const name = entity.metadata.name;
            const mine = seen.get(name);
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
            seen.set(name, { hash, source: source.id });
            if (full || previous.entities.get(name)?.hash !== hash)
              emitted.push({ entity, locationKey: LOCATION_KEY });
          }
        }
      } catch (error) {
        failedSources.push(source.id);
        if (full) {
          throw new Error(
            `Model source ${source.id} failed during a full run; nothing applied, retried next run: ${error}`,
          );
        }
        logger.warn(
          `Model source ${source.id} failed; keeping its entities until it answers: ${error}`,
        );
        for (const [name, entry] of previous.entities) {
          if (entry.source === source.id && !seen.has(name))
            seen.set(name, entry);
        }
      }
    }

    let removed = 0;
    if (full) {
      await this.connection.applyMutation({ type: 'full', entities: emitted });
    } else {
      const gone = [...previous.entities.keys()].filter(n => !seen.has(n));
      removed = gone.length;
      if (emitted.length || gone.length) {
        await this.connection.applyMutation({
          type: 'delta',
          added: emitted,
          removed: gone.map(name => ({
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
    this.last = { runId, entities: seen };
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

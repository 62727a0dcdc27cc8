import type { CacheService } from '@backstage/backend-plugin-api';
import type { JsonValue } from '@backstage/types';

/**
 * Caches upstream answers (coreServices.cache, shared between backend instances when it is Redis) and lets
 * identical in-flight requests share one upstream call. Keys start with the entity ref: a caller reaches a key
 * only after the catalog let them read that entity. A write bumps the entity's generation, which retires every
 * key of that entity at once.
 */
export class UpstreamCache {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly cache: CacheService,
    private readonly ttlMs: number,
  ) {}

  /** `ttlMs` overrides the configured TTL for an answer that cannot change (a finished execution's, say). */
  async get<T>(
    entityRef: string,
    key: string,
    load: () => Promise<T>,
    ttlMs = this.ttlMs,
  ): Promise<T> {
    const generation = (await this.cache.get<number>(`gen:${entityRef}`)) ?? 0;
    const fullKey = `${entityRef}:${generation}:${key}`;
    const cached = await this.cache.get(fullKey);
    if (cached !== undefined) return cached as T;

    const pending = this.inFlight.get(fullKey);
    if (pending) return pending as Promise<T>;
    const loading = load()
      .then(async value => {
        // A partial answer (an upstream failed for one section) is served but not kept: the next may be whole.
        if (!carriesSectionError(value)) {
          await this.cache.set(fullKey, value as unknown as JsonValue, {
            ttl: ttlMs,
          });
        }
        return value;
      })
      .finally(() => this.inFlight.delete(fullKey));
    this.inFlight.set(fullKey, loading);
    return loading;
  }

  /** After a write: every cached answer for the entity is stale. */
  async invalidate(entityRef: string): Promise<void> {
    const generation = (await this.cache.get<number>(`gen:${entityRef}`)) ?? 0;
    await this.cache.set(`gen:${entityRef}`, generation + 1, {
      ttl: 24 * 3600_000,
    });
  }
}

const ERROR_KEYS = ['error', 'mlflowError', 'sagemakerError'];

/**
 * Whether an answer holds a section error that may go away by itself: at its top, in one of its sections, or in
 * one of its items. An error that names an annotation (missing or malformed) lasts as long as the entity does.
 */
export function carriesSectionError(value: unknown, depth = 0): boolean {
  if (depth > 2 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    return value.some(item => carriesSectionError(item, depth + 1));
  }
  return Object.entries(value).some(
    ([key, child]) =>
      (ERROR_KEYS.includes(key) &&
        Boolean(child) &&
        !(child as { annotation?: string }).annotation) ||
      carriesSectionError(child, depth + 1),
  );
}

import type {
  CacheService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { JsonValue } from '@backstage/types';

/** How long a page token this API gave out keeps its pages cacheable: longer than anyone pages a list. */
const ISSUED_TOKEN_TTL_MS = 3600_000;

/** How long an answer is kept, and whether this one may be kept at all. */
export interface CachePolicy<T> {
  ttlMs?: number;
  cacheable?: (value: T) => boolean;
}

/** What a cache call gives back when the cache failed, did not answer in time, or is being skipped. */
const UNAVAILABLE = Symbol('cache unavailable');

/**
 * Caches upstream answers (coreServices.cache, shared between backend instances when it is Redis) and lets
 * identical in-flight requests share one upstream call. Keys start with the entity ref: a caller reaches a key
 * only after the catalog let them read that entity. A write bumps the entity's generation, which retires every
 * key of that entity at once.
 *
 * The cache is best-effort: a cache call that fails or takes longer than `timeoutMs` (a Redis client queues
 * commands while it reconnects) is logged and the request is answered from upstream; the cache is then left
 * alone for `retryAfterMs`, so an outage costs one timeout per interval, not one per request.
 */
export class UpstreamCache {
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private skipUntil = 0;
  private readonly timeoutMs: number;
  private readonly retryAfterMs: number;

  constructor(
    private readonly cache: CacheService,
    private readonly ttlMs: number,
    private readonly logger: LoggerService,
    options: { timeoutMs?: number; retryAfterMs?: number } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.retryAfterMs = options.retryAfterMs ?? 10_000;
  }

  /**
   * The entity's answer under `key`, loaded once while it is cached. The loader's `cacheable` says whether an answer
   * may be kept (one an upstream failure cut short is served, not kept); the cache never looks inside answers.
   */
  async get<T>(
    entityRef: string,
    key: string,
    load: () => Promise<T>,
    options: CachePolicy<T> = {},
  ): Promise<T> {
    const { ttlMs = this.ttlMs, cacheable = () => true } = options;
    const generation = await this.attempt('read', () =>
      this.cache.get<number>(`gen:${entityRef}`),
    );
    if (generation === UNAVAILABLE) {
      // Without the generation no cached answer is known to be current: none is read or written.
      return this.shared(`${entityRef}:-:${key}`, load);
    }
    const fullKey = `${entityRef}:${generation ?? 0}:${key}`;
    const cached = await this.attempt('read', () => this.cache.get(fullKey));
    if (cached !== undefined && cached !== UNAVAILABLE) return cached as T;

    return this.shared(fullKey, () =>
      load().then(async value => {
        if (cacheable(value)) {
          await this.attempt('write', () =>
            this.cache.set(fullKey, value as unknown as JsonValue, {
              ttl: ttlMs,
            }),
          );
        }
        return value;
      }),
    );
  }

  /**
   * One page of a list: cached like {@link UpstreamCache.get} when it is the first page or its token is one this
   * API gave out for the entity (the `nextPageToken` of each page loaded that way is recorded), loaded without
   * the cache otherwise, and what such a page answers is not recorded either: made-up tokens cannot fill the
   * cache, nor make tokens of their own count as given.
   */
  async getPage<T>(
    entityRef: string,
    key: string,
    pageToken: string | undefined,
    load: () => Promise<{ page: T; nextPageToken?: string }>,
    cacheable: (page: T) => boolean = () => true,
  ): Promise<T> {
    const given =
      !pageToken ||
      (await this.attempt('read', () =>
        this.cache.get(`issued:${entityRef}:${pageToken}`),
      )) === true;
    if (!given) {
      return this.shared(
        `${entityRef}:not-given:${key}`,
        async () => (await load()).page,
      );
    }
    return this.get(
      entityRef,
      key,
      async () => {
        const { page, nextPageToken } = await load();
        if (nextPageToken) {
          await this.attempt('write', () =>
            this.cache.set(`issued:${entityRef}:${nextPageToken}`, true, {
              ttl: ISSUED_TOKEN_TTL_MS,
            }),
          );
        }
        return page;
      },
      { cacheable },
    );
  }

  /**
   * A fact about an upstream resource that does not change (an experiment's id for its name, an endpoint
   * configuration, a succeeded execution's end): shared by every entity that names the resource and kept across
   * writes, so a tab whose answers have expired is not made to wait for it again. Callers reach a fact only for a
   * resource the entity they may read names, so the key holds the resource, not the entity.
   */
  /** The facts already known under these keys (one cache read each, side by side); absent ones are not loaded. */
  async knownFacts<T>(keys: string[]): Promise<Map<string, T>> {
    const known = new Map<string, T>();
    await Promise.all(
      keys.map(async key => {
        const value = await this.attempt('read', () =>
          this.cache.get(`fact:${key}`),
        );
        if (value !== undefined && value !== UNAVAILABLE)
          known.set(key, value as T);
      }),
    );
    return known;
  }

  /** Records a fact learnt along the way (see {@link UpstreamCache.fact}). */
  async recordFact<T>(key: string, value: T, ttlMs: number): Promise<void> {
    await this.attempt('write', () =>
      this.cache.set(`fact:${key}`, value as unknown as JsonValue, {
        ttl: ttlMs,
      }),
    );
  }

  async fact<T>(key: string, load: () => Promise<T>, ttlMs: number) {
    const fullKey = `fact:${key}`;
    const cached = await this.attempt('read', () => this.cache.get(fullKey));
    if (cached !== undefined && cached !== UNAVAILABLE) return cached as T;
    return this.shared(fullKey, () =>
      load().then(async value => {
        await this.attempt('write', () =>
          this.cache.set(fullKey, value as unknown as JsonValue, {
            ttl: ttlMs,
          }),
        );
        return value;
      }),
    );
  }

  /**
   * After a write: every cached answer for the entity is stale. Tried even while the cache is being skipped (a
   * cache back within the TTL would serve the old answers); its failure is logged, not the write's.
   */
  async invalidate(entityRef: string): Promise<void> {
    // Loads that began before the write are not joined by requests after it.
    for (const key of this.inFlight.keys()) {
      if (key.startsWith(`${entityRef}:`)) this.inFlight.delete(key);
    }
    const generation = await this.attempt(
      'invalidation',
      () => this.cache.get<number>(`gen:${entityRef}`),
      true,
    );
    if (generation === UNAVAILABLE) return;
    await this.attempt(
      'invalidation',
      () =>
        this.cache.set(`gen:${entityRef}`, (generation ?? 0) + 1, {
          ttl: 24 * 3600_000,
        }),
      true,
    );
  }

  /** Identical requests in flight share one load. */
  private shared<T>(key: string, load: () => Promise<T>): Promise<T> {
    const pending = this.inFlight.get(key);
    if (pending) return pending as Promise<T>;
    const loading = load().finally(() => {
      if (this.inFlight.get(key) === loading) this.inFlight.delete(key);
    });
    this.inFlight.set(key, loading);
    return loading;
  }

  /** One cache call, bounded by `timeoutMs`; UNAVAILABLE (logged) when it fails, hangs or the cache is skipped. */
  private async attempt<T>(
    what: string,
    call: () => Promise<T>,
    evenWhenSkipping = false,
  ): Promise<T | typeof UNAVAILABLE> {
    if (!evenWhenSkipping && Date.now() < this.skipUntil) return UNAVAILABLE;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
            this.timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      this.skipUntil = Date.now() + this.retryAfterMs;
      this.logger.warn(
        `Cache ${what} failed, answering from upstream without the cache for the next ${
          this.retryAfterMs / 1000
        } s: ${(error as Error)?.message ?? String(error)}`,
      );
      return UNAVAILABLE;
    } finally {
      clearTimeout(timer);
    }
  }
}

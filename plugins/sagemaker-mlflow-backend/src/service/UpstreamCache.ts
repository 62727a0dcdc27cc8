import type {
  CacheService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { JsonValue } from '@backstage/types';

/** How long a page token this API gave out keeps its pages cacheable: longer than anyone pages a list. */
const ISSUED_TOKEN_TTL_MS = 3600_000;

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

  /** `ttlMs` overrides the configured TTL for an answer that cannot change (a finished execution's, say). */
  async get<T>(
    entityRef: string,
    key: string,
    load: () => Promise<T>,
    ttlMs = this.ttlMs,
  ): Promise<T> {
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
        // A partial answer (an upstream failed for one section) is served but not kept: the next may be whole.
        if (!carriesSectionError(value)) {
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
  async getPage<T extends { nextPageToken?: string }>(
    entityRef: string,
    key: string,
    pageToken: string | undefined,
    load: () => Promise<T>,
  ): Promise<T> {
    const given =
      !pageToken ||
      (await this.attempt('read', () =>
        this.cache.get(`issued:${entityRef}:${pageToken}`),
      )) === true;
    if (!given) return this.shared(`${entityRef}:not-given:${key}`, load);
    return this.get(entityRef, key, async () => {
      const page = await load();
      if (page.nextPageToken) {
        await this.attempt('write', () =>
          this.cache.set(`issued:${entityRef}:${page.nextPageToken}`, true, {
            ttl: ISSUED_TOKEN_TTL_MS,
          }),
        );
      }
      return page;
    });
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

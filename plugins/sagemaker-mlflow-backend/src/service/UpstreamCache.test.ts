import type { CacheService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { mayCache } from './sections';
import { UpstreamCache } from './UpstreamCache';

// A Map stands in for the cache store: what is tested is what UpstreamCache decides to keep.
function mapCache(): CacheService {
  const map = new Map<string, unknown>();
  return {
    get: async (key: string) => map.get(key),
    set: async (key: string, value: unknown) => {
      map.set(key, value);
    },
    delete: async (key: string) => {
      map.delete(key);
    },
    withOptions: () => mapCache(),
  } as unknown as CacheService;
}

describe('UpstreamCache', () => {
  it('serves a whole answer from the cache the second time', async () => {
    const cache = new UpstreamCache(
      mapCache(),
      30_000,
      mockServices.logger.mock(),
    );
    const load = jest.fn().mockResolvedValue({ items: [{ version: '1' }] });
    await cache.get('component:default/m', 'versions', load);
    await cache.get('component:default/m', 'versions', load);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('caches the pages of tokens it gave out, never those of made-up tokens', async () => {
    const store = mapCache();
    const set = jest.spyOn(store, 'set');
    const cache = new UpstreamCache(store, 30_000, mockServices.logger.mock());
    const ref = 'component:default/m';
    const load = jest.fn(async () => ({
      page: { items: [] },
      nextPageToken: 'given',
    }));
    await cache.getPage(ref, 'versions:1', undefined, load);
    await cache.getPage(ref, 'versions:2', 'given', load);
    await cache.getPage(ref, 'versions:2', 'given', load);
    expect(load).toHaveBeenCalledTimes(2); // the first page, then the given token's page once

    const writes = set.mock.calls.length;
    for (let i = 0; i < 5; i++) {
      await cache.getPage(ref, `versions:made-up-${i}`, `made-up-${i}`, load);
      await cache.getPage(ref, `versions:made-up-${i}`, `made-up-${i}`, load);
    }
    expect(load).toHaveBeenCalledTimes(12);
    // Neither their pages nor the tokens those pages answered with are kept.
    expect(set.mock.calls.length).toBe(writes);
  });

  it('keeps an answer that cannot change for the TTL given with it, others for the configured one', async () => {
    const store = mapCache();
    const set = jest.spyOn(store, 'set');
    const cache = new UpstreamCache(store, 30_000, mockServices.logger.mock());
    await cache.get('component:default/m', 'executions', async () => ({}));
    await cache.get(
      'component:default/m',
      'execution-end:arn',
      async () => ({ LastModifiedTime: '2026-11-26T10:00:00Z' }),
      { ttlMs: 86_400_000 },
    );
    expect(set.mock.calls.map(([key, , options]) => [key, options])).toEqual([
      ['component:default/m:0:executions', { ttl: 30_000 }],
      ['component:default/m:0:execution-end:arn', { ttl: 86_400_000 }],
    ]);
  });

  it('does not keep an answer its loader calls partial, so an outage is not served for the whole TTL', async () => {
    const cache = new UpstreamCache(
      mapCache(),
      30_000,
      mockServices.logger.mock(),
    );
    const down = {
      runMetrics: {
        error: {
          code: 'unavailable' as const,
          name: 'UpstreamError',
          message: 'down',
        },
      },
    };
    const whole = { runMetrics: { data: {} } };
    const load = jest.fn().mockResolvedValueOnce(down).mockResolvedValue(whole);
    const policy = { cacheable: (v: typeof whole) => mayCache(v.runMetrics) };
    const key = ['component:default/m', 'executions'] as const;
    expect(await cache.get(...key, load, policy)).toBe(down);
    expect(await cache.get(...key, load, policy)).toEqual(whole);
    expect(await cache.get(...key, load, policy)).toEqual(whole);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('keeps a fact across writes to the entities that read it, and shares it between them', async () => {
    const cache = new UpstreamCache(
      mapCache(),
      30_000,
      mockServices.logger.mock(),
    );
    const load = jest.fn(async () => '42');
    expect(await cache.fact('experiment:default:m', load, 60_000)).toBe('42');
    await cache.invalidate('component:default/m');
    expect(await cache.fact('experiment:default:m', load, 60_000)).toBe('42');
    expect(load).toHaveBeenCalledTimes(1);
  });

  describe('when the cache fails', () => {
    // A store whose every call fails (Redis refusing connections) or never answers (Redis queueing commands
    // while it reconnects). The real Redis outage is tested in packages/backend (cacheOutage.test.ts).
    const failingCache = (how: 'reject' | 'hang') => {
      const calls: string[] = [];
      const fail = (name: string) => async () => {
        calls.push(name);
        if (how === 'hang') return new Promise<never>(() => {});
        throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      };
      const store = {
        get: fail('get'),
        set: fail('set'),
        delete: fail('delete'),
        withOptions: () => store,
      } as unknown as CacheService;
      return { store, calls };
    };

    it('answers from upstream, logs once and leaves the cache alone for a while', async () => {
      const { store, calls } = failingCache('reject');
      const logger = mockServices.logger.mock();
      const cache = new UpstreamCache(store, 30_000, logger);
      const load = jest.fn().mockResolvedValue({ items: [] });
      await expect(
        cache.get('component:default/m', 'versions', load),
      ).resolves.toEqual({ items: [] });
      await expect(
        cache.get('component:default/m', 'versions', load),
      ).resolves.toEqual({ items: [] });
      expect(load).toHaveBeenCalledTimes(2);
      expect(calls).toEqual(['get']);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn).toHaveBeenCalledWith(
        'Cache read failed, answering from upstream without the cache for the next 10 s: connect ECONNREFUSED 127.0.0.1:6379',
      );
    });

    it('gives a hung cache timeoutMs, then answers from upstream', async () => {
      const { store } = failingCache('hang');
      const logger = mockServices.logger.mock();
      const cache = new UpstreamCache(store, 30_000, logger, {
        timeoutMs: 100,
      });
      const started = Date.now();
      await expect(
        cache.get('component:default/m', 'versions', async () => 'fresh'),
      ).resolves.toBe('fresh');
      expect(Date.now() - started).toBeLessThan(1000);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining('no answer within 100 ms'),
      );
    });

    it('still shares one load between identical requests', async () => {
      const { store } = failingCache('reject');
      const cache = new UpstreamCache(
        store,
        30_000,
        mockServices.logger.mock(),
      );
      const load = jest.fn(
        () => new Promise(resolve => setTimeout(() => resolve('x'), 20)),
      );
      await Promise.all([
        cache.get('component:default/m', 'versions', load),
        cache.get('component:default/m', 'versions', load),
      ]);
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('does not fail a write whose invalidation the cache refuses, and tries the cache again afterwards', async () => {
      const { store, calls } = failingCache('reject');
      const logger = mockServices.logger.mock();
      const cache = new UpstreamCache(store, 30_000, logger, {
        retryAfterMs: 0,
      });
      await expect(
        cache.invalidate('component:default/m'),
      ).resolves.toBeUndefined();
      await cache.get('component:default/m', 'versions', async () => 'x');
      expect(calls).toEqual(['get', 'get']);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringMatching(/^Cache invalidation failed/),
      );
    });
  });
});

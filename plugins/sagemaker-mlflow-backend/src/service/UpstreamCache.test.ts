import type { CacheService } from '@backstage/backend-plugin-api';
import { carriesSectionError, UpstreamCache } from './UpstreamCache';

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
    const cache = new UpstreamCache(mapCache(), 30_000);
    const load = jest.fn().mockResolvedValue({ items: [{ version: '1' }] });
    await cache.get('component:default/m', 'versions', load);
    await cache.get('component:default/m', 'versions', load);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('keeps an answer that cannot change for the TTL given with it, others for the configured one', async () => {
    const store = mapCache();
    const set = jest.spyOn(store, 'set');
    const cache = new UpstreamCache(store, 30_000);
    await cache.get('component:default/m', 'executions', async () => ({}));
    await cache.get(
      'component:default/m',
      'execution-end:arn',
      async () => ({ LastModifiedTime: '2026-11-26T10:00:00Z' }),
      86_400_000,
    );
    expect(set.mock.calls.map(([key, , options]) => [key, options])).toEqual([
      ['component:default/m:0:executions', { ttl: 30_000 }],
      ['component:default/m:0:execution-end:arn', { ttl: 86_400_000 }],
    ]);
  });

  it('does not keep an answer in which a section failed, so an outage is not served for the whole TTL', async () => {
    const cache = new UpstreamCache(mapCache(), 30_000);
    const load = jest
      .fn()
      .mockResolvedValueOnce({
        items: [],
        mlflowError: { name: 'UpstreamError', message: 'down' },
      })
      .mockResolvedValue({ items: [] });
    const first = await cache.get('component:default/m', 'executions', load);
    expect(first).toHaveProperty('mlflowError');
    expect(await cache.get('component:default/m', 'executions', load)).toEqual({
      items: [],
    });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('finds section errors at the top, in sections and in items, but not an annotation that is missing', () => {
    expect(
      carriesSectionError({
        items: [],
        mlflowError: {
          name: 'NotFoundError',
          message: 'This entity has no mlflow.org/experiment-name annotation',
          annotation: 'mlflow.org/experiment-name',
        },
      }),
    ).toBe(false);
    expect(carriesSectionError({ steps: { error: { message: 'x' } } })).toBe(
      true,
    );
    expect(
      carriesSectionError({ items: [{ name: 'e', error: { message: 'x' } }] }),
    ).toBe(true);
    expect(
      carriesSectionError({
        items: [{ name: 'e', endpoint: {} }],
        sagemakerError: undefined,
      }),
    ).toBe(false);
  });
});

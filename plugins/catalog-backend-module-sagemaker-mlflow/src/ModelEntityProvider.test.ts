import { mockServices } from '@backstage/backend-test-utils';
import type { CacheService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { EntityProviderMutation } from '@backstage/plugin-catalog-node';
import { ModelEntityProvider } from './ModelEntityProvider';
import type { ModelSource } from './ModelSources';

// The sources stand in for MLflow and SageMaker here: these tests are about what the provider does with their pages
// and failures (the real sources run in packages/backend's modelCatalog integration test).
const model = (name: string, description = ''): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name, description },
  spec: { type: 'ml-model', owner: 'group:default/ml-platform' },
});

function source(id: string, pages: () => Entity[][] | Error): ModelSource {
  return {
    id,
    async *pages() {
      const result = pages();
      if (result instanceof Error) throw result;
      yield* result;
    },
  };
}

/** A shared cache (what Redis is to several instances), in memory. */
function sharedCache(): CacheService {
  const values = new Map<string, any>();
  const cache: CacheService = {
    get: async (key: string) => values.get(key),
    set: async (key: string, value: any) => {
      values.set(key, value);
    },
    delete: async (key: string) => {
      values.delete(key);
    },
    withOptions: () => cache,
  } as CacheService;
  return cache;
}

async function connected(provider: ModelEntityProvider) {
  const mutations: EntityProviderMutation[] = [];
  await provider.connect({
    applyMutation: async m => {
      mutations.push(m);
    },
    refresh: async () => {},
  });
  return mutations;
}

const names = (m: EntityProviderMutation) =>
  m.type === 'full'
    ? m.entities.map(e => e.entity.metadata.name)
    : m.added.map(e => e.entity.metadata.name);

describe('ModelEntityProvider', () => {
  it('keeps the entities of a source that fails in a delta run, and removes them only once it answers without them', async () => {
    let mlflow: Entity[][] | Error = [[model('a'), model('b')]];
    const provider = new ModelEntityProvider({
      logger: mockServices.logger.mock(),
      cache: sharedCache(),
      sources: () => [
        source('mlflow:default', () => mlflow),
        source('sagemaker:1:r', () => [[model('c')]]),
      ],
    });
    const mutations = await connected(provider);
    expect(await provider.run()).toMatchObject({ type: 'full', total: 3 });

    mlflow = new Error('MLflow down');
    expect(await provider.run()).toMatchObject({
      type: 'delta',
      emitted: 0,
      removed: 0,
      failedSources: ['mlflow:default'],
    });
    expect(mutations).toHaveLength(1);

    mlflow = [[model('a')]];
    expect(await provider.run()).toMatchObject({ type: 'delta', removed: 1 });
    expect(mutations[1]).toMatchObject({
      type: 'delta',
      added: [],
      removed: [{ entityRef: 'resource:default/b' }],
    });
  });

  it('applies the answered sources as a delta without removals when a source fails in a full run, and runs full once all answer', async () => {
    let sagemaker: Entity[][] | Error = new Error('no credentials');
    let mlflow = [model('a'), model('b')];
    const logger = mockServices.logger.mock();
    const provider = new ModelEntityProvider({
      logger,
      sources: () => [
        source('mlflow:default', () => [mlflow]),
        source('sagemaker:1:r', () => sagemaker),
      ],
    });
    const mutations = await connected(provider);
    // A full mutation would remove the failed source's entities: a delta adds the others and removes nothing.
    expect(await provider.run()).toMatchObject({
      type: 'delta',
      emitted: 2,
      removed: 0,
      failedSources: ['sagemaker:1:r'],
    });
    expect(mutations[0]).toEqual({
      type: 'delta',
      added: [
        expect.objectContaining({ entity: model('a') }),
        expect.objectContaining({ entity: model('b') }),
      ],
      removed: [],
    });
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('sagemaker:1:r'),
    );

    // The source stays down (a retired server): models of the others are still added, changed and removed.
    mlflow = [model('a', 'changed'), model('n')];
    expect(await provider.run()).toMatchObject({
      type: 'delta',
      emitted: 2,
      removed: 1,
      failedSources: ['sagemaker:1:r'],
    });
    expect(names(mutations[1])).toEqual(['a', 'n']);
    expect(mutations[1]).toMatchObject({
      removed: [{ entityRef: 'resource:default/b' }],
    });

    // Every source answers: full, so what changed while the process was not looking is set right.
    sagemaker = [[model('c')]];
    expect(await provider.run()).toMatchObject({
      type: 'full',
      total: 3,
      failedSources: [],
    });
    expect(names(mutations[2])).toEqual(['a', 'n', 'c']);
    expect(await provider.run()).toMatchObject({ type: 'delta', emitted: 0 });
  });

  it('runs full again when another instance ran since (its hashes are stale)', async () => {
    const cache = sharedCache();
    let models = [model('a'), model('b')];
    const make = () =>
      new ModelEntityProvider({
        logger: mockServices.logger.mock(),
        cache,
        sources: () => [source('mlflow:default', () => [models])],
      });
    const one = make();
    const two = make();
    const oneMutations = await connected(one);
    await connected(two);
    await one.run();
    // Instance two adds and removes a model while instance one does not run.
    models = [model('a'), model('b'), model('x')];
    await two.run();
    models = [model('a')];
    await two.run();
    // Instance one's last hashes know nothing of that: a delta from them would leave things behind.
    expect(await one.run()).toMatchObject({ type: 'full', total: 1 });
    expect(names(oneMutations[1])).toEqual(['a']);
    // Now it ran last: deltas again.
    expect(await one.run()).toMatchObject({ type: 'delta', emitted: 0 });
  });

  it('emits one entity for two names that differ only by case (entity refs ignore case)', async () => {
    const provider = new ModelEntityProvider({
      logger: mockServices.logger.mock(),
      sources: () => [
        source('mlflow:default', () => [[model('Same', 'first')]]),
        source('mlflow:other', () => [[model('same', 'second')]]),
      ],
    });
    const mutations = await connected(provider);
    expect(await provider.run()).toMatchObject({ total: 1, emitted: 1 });
    expect(names(mutations[0])).toEqual(['Same']);
  });

  it('emits one entity for two models that normalise to the same name', async () => {
    const provider = new ModelEntityProvider({
      logger: mockServices.logger.mock(),
      sources: () => [
        source('mlflow:default', () => [[model('same', 'first')]]),
        source('mlflow:other', () => [[model('same', 'second')]]),
      ],
    });
    const mutations = await connected(provider);
    expect(await provider.run()).toMatchObject({ total: 1, emitted: 1 });
    expect(
      mutations[0].type === 'full' &&
        mutations[0].entities[0].entity.metadata.description,
    ).toBe('first');
  });
});

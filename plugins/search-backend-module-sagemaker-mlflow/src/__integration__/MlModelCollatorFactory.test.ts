import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  MlflowClient,
  MlflowClients,
  readSageMakerMlflowConfig,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { MlModelCollatorFactory } from '../MlModelCollatorFactory';

// Against the real MLflow server that ./scripts/test started and seeded with the demo model (three versions).
const mlflowUrl = process.env.MODEL_FACTORY_TEST_MLFLOW_URL;
if (!mlflowUrl) {
  throw new Error(
    'MODEL_FACTORY_TEST_MLFLOW_URL is not set: run the integration tests through ./scripts/test',
  );
}

const component = (name: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    annotations: {
      'mlflow.org/registered-model-name': 'demo-model',
      'mlflow.org/experiment-name': 'demo-model',
    },
  },
  spec: { type: 'ml-model', owner: 'group:default/ml-platform' },
});

async function collect(
  versionsPageSize?: number,
  options: { requireBinding?: boolean; entities?: string[] } = {},
) {
  const factory = new MlModelCollatorFactory({
    catalog: catalogServiceMock({
      entities: (options.entities ?? ['demo-model']).map(component),
    }),
    auth: mockServices.auth(),
    logger: mockServices.logger.mock(),
    mlflow: new MlflowClients(
      readSageMakerMlflowConfig(
        mockServices.rootConfig({
          data: {
            sagemakerMlflow: {
              mlflow: { servers: [{ name: 'default', baseUrl: mlflowUrl }] },
            },
          },
        }),
      ),
    ),
    versionsPageSize,
    requireBinding: options.requireBinding,
  });
  const documents = [];
  for await (const document of await factory.getCollator())
    documents.push(document);
  return documents;
}

describe('ml-model collator against a real MLflow server', () => {
  afterEach(() => jest.restoreAllMocks());

  it('walks a model’s versions page by page and indexes each once, as one page does', async () => {
    const searches = jest.spyOn(MlflowClient.prototype, 'searchModelVersions');
    const onePerPage = await collect(1);
    const pages = searches.mock.calls.length;
    const whole = await collect();

    const versions = onePerPage.filter(d => d.docKind === 'version');
    expect(versions.length).toBeGreaterThanOrEqual(3);
    // At least one search per version: the walk really went page by page.
    expect(pages).toBeGreaterThanOrEqual(versions.length);
    expect(new Set(versions.map(d => d.version)).size).toBe(versions.length);
    expect(versions.every(d => d.metrics.includes('accuracy='))).toBe(true);
    expect(onePerPage).toEqual(whole);
  });

  it('with binding.requireForReads, indexes a model only for the entity its binding tag names', async () => {
    // The seed binds demo-model to component:default/demo-model; lookalike-model names it too.
    const documents = await collect(undefined, {
      requireBinding: true,
      entities: ['demo-model', 'lookalike-model'],
    });
    expect(documents.length).toBeGreaterThan(1);
    expect(new Set(documents.map(d => d.entityRef))).toEqual(
      new Set(['component:default/demo-model']),
    );
    const unbound = await collect(undefined, { entities: ['lookalike-model'] });
    expect(unbound.length).toBe(documents.length); // indexed when reads follow annotations
  });
});

import { screen } from '@testing-library/react';
import type { ModelVersionsPage } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  demoEntity,
  renderSection,
  version,
} from '../../__testUtils__/renderSection';
import { ModelVersionsSection } from './ModelVersionsSection';

const page: ModelVersionsPage = {
  modelName: 'demo-model',
  modelUrl: 'http://mlflow/#/models/demo-model',
  versions: {
    data: { items: [version('1')], aliases: {} },
  },
  modelPackages: { data: {} },
  bindings: [],
};

describe('the model versions section links to the model in the catalog', () => {
  it('links to the Resource entity the catalog module makes of the registered model', async () => {
    await renderSection(<ModelVersionsSection />, {
      getModelVersions: jest.fn().mockResolvedValue(page),
    });
    expect(await screen.findByTestId('model-entity-link')).toHaveAttribute(
      'href',
      '/catalog/default/resource/mlflow-default-demo-model',
    );
  });

  it('names the model by its tracking server and normalises a name the catalog would refuse', async () => {
    await renderSection(
      <ModelVersionsSection />,
      { getModelVersions: jest.fn().mockResolvedValue(page) },
      {
        allowWrites: true,
        entity: {
          ...demoEntity,
          metadata: {
            ...demoEntity.metadata,
            annotations: {
              'mlflow.org/registered-model-name': 'Churn Model',
              'mlflow.org/tracking-server': 'research',
            },
          },
        },
      },
    );
    expect(
      (await screen.findByTestId('model-entity-link')).getAttribute('href'),
    ).toMatch(
      // Lowercased, with a hash: "Churn Model" and "churn-model" must not share a (case-blind) entity ref.
      /^\/catalog\/default\/resource\/mlflow-research-churn-model-[0-9a-z]{11}$/,
    );
  });
});

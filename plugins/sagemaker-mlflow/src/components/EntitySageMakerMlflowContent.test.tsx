import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { EntitySageMakerMlflowContent } from './EntitySageMakerMlflowContent';

const entity = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'demo-model', annotations },
  spec: {},
});

describe('EntitySageMakerMlflowContent', () => {
  it('shows the resources the annotations name', async () => {
    await renderInTestApp(
      <EntityProvider
        entity={entity({
          'aws.amazon.com/sagemaker-pipeline-arn':
            'arn:aws:sagemaker:us-east-1:123456789012:pipeline/demo-model',
          'mlflow.org/registered-model-name': 'demo-model',
        })}
      >
        <EntitySageMakerMlflowContent />
      </EntityProvider>,
    );
    expect(
      screen.getByText(
        'arn:aws:sagemaker:us-east-1:123456789012:pipeline/demo-model',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('demo-model')).toBeInTheDocument();
  });

  it('explains the missing annotations on an unannotated entity', async () => {
    await renderInTestApp(
      <EntityProvider entity={entity({})}>
        <EntitySageMakerMlflowContent />
      </EntityProvider>,
    );
    expect(screen.getByText(/Missing Annotation/i)).toBeInTheDocument();
  });
});

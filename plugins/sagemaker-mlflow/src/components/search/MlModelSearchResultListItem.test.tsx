import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { MlModelSearchResultListItem } from './MlModelSearchResultListItem';

describe('MlModelSearchResultListItem', () => {
  it('shows model, version, aliases, approval and owner, linking to the version in the tab', async () => {
    await renderInTestApp(
      <MlModelSearchResultListItem
        result={
          {
            title: 'demo-model v1',
            text: 'accuracy=0.9860',
            location:
              '/catalog/default/component/demo-model/sagemaker-mlflow#model-version-1',
            docKind: 'version',
            modelName: 'demo-model',
            version: '1',
            aliases: 'champion',
            approvalStatus: 'Approved',
            owner: 'group:default/ml-platform',
          } as any
        }
      />,
    );
    expect(screen.getByText('demo-model v1')).toHaveAttribute(
      'href',
      '/catalog/default/component/demo-model/sagemaker-mlflow#model-version-1',
    );
    expect(screen.getByText('@champion')).toBeInTheDocument();
    expect(screen.queryByText('Production')).not.toBeInTheDocument();
    expect(screen.getByText('Approved')).toBeInTheDocument();
    expect(
      screen.getByText(/owner group:default\/ml-platform/),
    ).toBeInTheDocument();
    // The model's own catalog entity (catalog module sagemaker-mlflow-models), named as the provider names it.
    expect(screen.getByTestId('model-entity-link')).toHaveAttribute(
      'href',
      '/catalog/default/resource/mlflow-default-demo-model',
    );
  });

  it('shows the MLflow 2.x registry stage of a version beside its aliases', async () => {
    await renderInTestApp(
      <MlModelSearchResultListItem
        result={
          {
            title: 'demo-model v2',
            text: 'Production',
            location:
              '/catalog/default/component/demo-model/sagemaker-mlflow#model-version-2',
            docKind: 'version',
            modelName: 'demo-model',
            version: '2',
            aliases: '',
            stage: 'Production',
          } as any
        }
      />,
    );
    expect(screen.getByTitle('MLflow registry stage')).toHaveTextContent(
      'Production',
    );
  });
});

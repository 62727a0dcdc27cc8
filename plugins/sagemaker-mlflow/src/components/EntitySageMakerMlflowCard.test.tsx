import { screen } from '@testing-library/react';
import {
  execution,
  modelPackage,
  renderSection,
  sectionError,
  version,
} from '../__testUtils__/renderSection';
import { EntitySageMakerMlflowCard } from './EntitySageMakerMlflowCard';

describe('EntitySageMakerMlflowCard', () => {
  it('summarises latest execution, champion, latest version and endpoints, one failure at a time', async () => {
    await renderSection(<EntitySageMakerMlflowCard />, {
      getSummary: jest.fn().mockResolvedValue({
        latestExecution: { data: execution('aaa111', 'Failed') },
        champion: {
          error: sectionError(
            'unavailable',
            "MLflow server 'default' cannot be reached",
          ),
        },
        latestVersion: { data: version('3') },
        endpoints: {
          data: [{ name: 'demo-model-staging', status: 'InService' }],
        },
      }),
    });
    expect(await screen.findByText('Failed')).toBeInTheDocument();
    expect(screen.getByText(/cannot be reached/)).toBeInTheDocument();
    expect(screen.getByText('v3')).toBeInTheDocument();
    expect(screen.getByText('InService')).toBeInTheDocument();
    expect(screen.getByText('Open the Model Factory tab')).toHaveAttribute(
      'href',
      '/catalog/default/component/demo-model/sagemaker-mlflow',
    );
  });

  it("shows the champion's approval when its version has a model package", async () => {
    await renderSection(<EntitySageMakerMlflowCard />, {
      getSummary: jest.fn().mockResolvedValue({
        latestExecution: { data: null },
        champion: {
          data: {
            ...version('2', ['champion']),
            modelPackage: modelPackage('2', 'Approved'),
            championBy: 'alias',
          },
        },
        latestVersion: { data: version('3') },
        endpoints: { data: [] },
      }),
    });
    expect(await screen.findByText('Approved')).toBeInTheDocument();
    expect(screen.getByText(/v2/)).toBeInTheDocument();
    expect(screen.getByText(/by alias/)).toBeInTheDocument();
  });

  it('says when the champion is so by its Production stage (MLflow 2.x, no champion alias), and shows stages', async () => {
    await renderSection(<EntitySageMakerMlflowCard />, {
      getSummary: jest.fn().mockResolvedValue({
        latestExecution: { data: null },
        champion: {
          data: {
            ...version('2'),
            currentStage: 'Production',
            championBy: 'stage',
          },
        },
        latestVersion: { data: { ...version('3'), currentStage: 'Staging' } },
        endpoints: { data: [] },
      }),
    });
    expect(await screen.findByText(/by stage/)).toBeInTheDocument();
    expect(screen.getByText('Production')).toBeInTheDocument();
    expect(screen.getByText('Staging')).toBeInTheDocument();
    expect(screen.queryByText(/by alias/)).not.toBeInTheDocument();
  });

  it("shows no pipeline or endpoint row for an entity that names neither (a model's catalog entity)", async () => {
    await renderSection(
      <EntitySageMakerMlflowCard />,
      {
        getSummary: jest.fn().mockResolvedValue({
          latestExecution: {
            error: sectionError(
              'not-found',
              'This entity has no aws.amazon.com/sagemaker-pipeline-arn annotation',
            ),
          },
          champion: { data: version('1', ['champion']) },
          latestVersion: { data: version('3') },
          endpoints: {
            error: sectionError(
              'not-found',
              'This entity has no aws.amazon.com/sagemaker-endpoint-arns annotation',
            ),
          },
        }),
      },
      {
        allowWrites: false,
        entity: {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Resource',
          metadata: {
            name: 'mlflow-default-demo-model',
            annotations: { 'mlflow.org/registered-model-name': 'demo-model' },
          },
          spec: { type: 'ml-model', owner: 'ml-platform' },
        },
      },
    );
    expect(await screen.findByText('v3')).toBeInTheDocument();
    expect(screen.queryByText('Latest execution')).not.toBeInTheDocument();
    expect(screen.queryByText('Endpoints')).not.toBeInTheDocument();
    expect(screen.queryByText(/has no/)).not.toBeInTheDocument();
  });
});

import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { renderInTestApp } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  binding,
  demoEntity,
  renderSection,
  sectionError,
} from '../__testUtils__/renderSection';
import { EntitySageMakerMlflowContent } from './EntitySageMakerMlflowContent';

const never = () => new Promise<never>(() => {});

describe('EntitySageMakerMlflowContent', () => {
  it('shows a section for each kind of resource the annotations name', async () => {
    await renderSection(<EntitySageMakerMlflowContent />, {
      getExecutions: never,
      getModelVersions: never,
      getEndpoints: jest.fn().mockResolvedValue({
        items: [
          {
            name: 'demo-model-staging',
            arn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo-model-staging',
            endpoint: {
              error: sectionError('not-found', 'not deployed'),
            },
          },
        ],
      }),
    });
    expect(screen.getByText('Pipeline executions')).toBeInTheDocument();
    expect(screen.getByText('Model versions')).toBeInTheDocument();
    expect(
      await screen.findByText('Endpoint demo-model-staging'),
    ).toBeInTheDocument();
  });

  it('explains the missing annotations on an unannotated entity', async () => {
    await renderInTestApp(
      <EntityProvider
        entity={{ ...demoEntity, metadata: { name: 'web-shop' } }}
      >
        <EntitySageMakerMlflowContent />
      </EntityProvider>,
    );
    expect(screen.getByText(/Missing Annotation/i)).toBeInTheDocument();
  });

  it("loads the other entity's data when the page moves to another entity", async () => {
    const other = {
      ...demoEntity,
      metadata: { ...demoEntity.metadata, name: 'other-model' },
    };
    function MovingPage() {
      const [entity, setEntity] = useState(demoEntity);
      return (
        <>
          <button onClick={() => setEntity(other)}>next entity</button>
          <EntityProvider entity={entity}>
            <EntitySageMakerMlflowContent />
          </EntityProvider>
        </>
      );
    }
    const getExecutions = jest.fn().mockResolvedValue({
      pipelineArn: 'arn',
      pipelineName: 'p',
      consoleUrl: 'c',
      executions: { data: { items: [] } },
      runMetrics: { data: {} },
      binding: binding('pipeline', 'arn'),
    });
    await renderSection(<MovingPage />, {
      getExecutions,
      getModelVersions: never,
      getEndpoints: never,
    });
    await waitFor(() => expect(getExecutions).toHaveBeenCalledTimes(1));
    await userEvent.click(screen.getByText('next entity'));
    await waitFor(() =>
      expect(getExecutions).toHaveBeenLastCalledWith(
        expect.objectContaining({ name: 'other-model' }),
        expect.anything(),
      ),
    );
  });
});

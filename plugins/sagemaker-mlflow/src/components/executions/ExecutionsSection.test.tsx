import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ExecutionsPage } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  binding,
  execution,
  executionArn,
  renderSection,
  sectionError,
} from '../../__testUtils__/renderSection';
import { executionDuration, ExecutionsSection } from './ExecutionsSection';
import { measureSvgText } from '../../__testUtils__/svgMeasurement';

measureSvgText();

const PIPELINE_ARN =
  'arn:aws:sagemaker:us-east-1:123456789012:pipeline/demo-model-pipeline';
const page = (
  items = [execution('aaa111', 'Succeeded'), execution('bbb222', 'Executing')],
  nextPageToken?: string,
): ExecutionsPage => ({
  pipelineArn: PIPELINE_ARN,
  pipelineName: 'demo-model-pipeline',
  consoleUrl: 'https://console/pipeline',
  executions: { data: { items, nextPageToken } },
  // Only the first execution has an MLflow run.
  runMetrics: {
    data: {
      [executionArn('aaa111')]: {
        accuracy: 0.9861,
        f1: 0.9712,
        roc_auc: 0.9954,
      },
    },
  },
  binding: binding('pipeline', PIPELINE_ARN),
});

describe('ExecutionsSection', () => {
  it("lists executions with status, duration and their runs' key metrics, and pages on", async () => {
    const getExecutions = jest
      .fn()
      .mockResolvedValueOnce(page(undefined, 'next'))
      .mockResolvedValueOnce(page([execution('ccc333', 'Failed')]));
    await renderSection(<ExecutionsSection />, { getExecutions });
    expect(await screen.findByText('run-aaa111')).toBeInTheDocument();
    for (const metric of ['accuracy', 'f1', 'roc_auc']) {
      expect(
        screen.getByRole('columnheader', { name: metric }),
      ).toBeInTheDocument();
    }
    const first = within(screen.getByText('run-aaa111').closest('tr')!);
    expect(first.getByText('0.9861')).toBeInTheDocument();
    expect(first.getByText('0.9712')).toBeInTheDocument();
    expect(screen.queryByText(/MLflow metrics/)).not.toBeInTheDocument();
    expect(screen.getAllByText('2m 5s')).toHaveLength(2);
    await userEvent.click(screen.getByRole('button', { name: 'Older' }));
    expect(await screen.findByText('run-ccc333')).toBeInTheDocument();
    expect(getExecutions).toHaveBeenLastCalledWith(
      expect.objectContaining({ name: 'demo-model' }),
      { pageSize: 20, pageToken: 'next' },
    );
  });

  it('starts an execution with the parameters typed by an owner', async () => {
    const startExecution = jest
      .fn()
      .mockResolvedValue({ executionArn: 'arn:…/execution/new1' });
    await renderSection(<ExecutionsSection />, {
      getExecutions: jest.fn().mockResolvedValue(page()),
      startExecution,
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Start execution' }),
    );
    fireEvent.change(screen.getByLabelText('Parameters'), {
      target: { value: 'GateThreshold=0.95\nRegularizationC = 0.5' },
    });
    await userEvent.click(
      screen.getAllByRole('button', { name: 'Start execution' }).pop()!,
    );
    await waitFor(() =>
      expect(startExecution).toHaveBeenCalledWith(expect.anything(), {
        displayName: undefined,
        parameters: { GateThreshold: '0.95', RegularizationC: '0.5' },
      }),
    );
    // The next start begins from an empty form, not the last run's parameters.
    await userEvent.click(
      await screen.findByRole('button', { name: 'Start execution' }),
    );
    expect(await screen.findByLabelText('Parameters')).toHaveValue('');
  });

  it('stops a running execution after confirmation', async () => {
    const stopExecution = jest.fn().mockResolvedValue({});
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    await renderSection(<ExecutionsSection />, {
      getExecutions: jest.fn().mockResolvedValue(page()),
      stopExecution,
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Stop' }));
    expect(window.confirm).toHaveBeenCalledWith(
      expect.stringMatching(/^Stop run-bbb222/),
    );
    await waitFor(() =>
      expect(stopExecution).toHaveBeenCalledWith(expect.anything(), 'bbb222'),
    );
  });

  it('does not stop when the confirmation is declined', async () => {
    const stopExecution = jest.fn().mockResolvedValue({});
    jest.spyOn(window, 'confirm').mockReturnValue(false);
    await renderSection(<ExecutionsSection />, {
      getExecutions: jest.fn().mockResolvedValue(page()),
      stopExecution,
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Stop' }));
    expect(window.confirm).toHaveBeenCalled();
    expect(stopExecution).not.toHaveBeenCalled();
  });

  it('disables start and hides stop for users who may not execute', async () => {
    await renderSection(
      <ExecutionsSection />,
      { getExecutions: jest.fn().mockResolvedValue(page()) },
      { allowWrites: false },
    );
    expect(await screen.findByText('run-bbb222')).toBeInTheDocument();
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Start execution' }),
      ).toBeDisabled(),
    );
    expect(
      screen.queryByRole('button', { name: 'Stop' }),
    ).not.toBeInTheDocument();
  });

  it('shows an unbound pipeline read-only, with how to bind it, even to an owner', async () => {
    await renderSection(<ExecutionsSection />, {
      getExecutions: jest.fn().mockResolvedValue({
        ...page(),
        binding: binding('pipeline', PIPELINE_ARN, 'unbound'),
      }),
    });
    expect(await screen.findByText('run-bbb222')).toBeInTheDocument();
    expect(
      screen.getByText(/Not bound to this component: read-only here/),
    ).toBeInTheDocument();
    expect(screen.getByTestId('not-bound')).toHaveTextContent(
      `${PIPELINE_ARN} has no backstage.io/entity-ref tag`,
    );
    // The command that binds it, ready to copy.
    expect(screen.getByTestId('not-bound')).toHaveTextContent(
      `aws sagemaker add-tags --resource-arn ${PIPELINE_ARN}`,
    );
    expect(
      screen.queryByRole('button', { name: 'Start execution' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Stop' }),
    ).not.toBeInTheDocument();
  });

  it('shows the drill-down: steps graph, steps error and MLflow run', async () => {
    const getExecution = jest.fn().mockResolvedValue({
      execution: {
        ...execution('aaa111', 'Succeeded'),
        parameters: { RegularizationC: '1.0' },
      },
      definition: {
        data: [
          { name: 'Train', type: 'Training', dependsOn: [] },
          { name: 'Evaluate', type: 'Processing', dependsOn: ['Train'] },
        ],
      },
      steps: {
        error: sectionError(
          'upstream',
          'SageMaker ListPipelineExecutionSteps: HTTP 500',
        ),
      },
      mlflowRuns: {
        data: [
          {
            runId: 'r1',
            runName: 'logreg-C1.0',
            status: 'FINISHED',
            metrics: { accuracy: 0.986 },
            params: {},
            url: 'http://mlflow/r1',
          },
        ],
      },
    });
    await renderSection(<ExecutionsSection />, {
      getExecutions: jest.fn().mockResolvedValue(page()),
      getExecution,
    });
    await userEvent.click(await screen.findByText('run-aaa111'));
    // The graph lays out after the detail loads: slower than the default wait on a busy CI machine.
    expect(
      await screen.findByTestId('dag-node-Evaluate', {}, { timeout: 10_000 }),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/ListPipelineExecutionSteps: HTTP 500/),
    ).toBeInTheDocument();
    expect(screen.getByText('logreg-C1.0')).toHaveAttribute(
      'href',
      'http://mlflow/r1',
    );
    expect(screen.getByText('0.9860')).toBeInTheDocument();
  });

  it('says what creates the pipeline when it does not exist yet (a new project before its first CI run)', async () => {
    // What the API client throws for the backend's 404: a ResponseError caused by a NotFoundError.
    const error = Object.assign(
      new Error('Request failed with 404 Not Found'),
      {
        name: 'ResponseError',
        cause: Object.assign(new Error('Could not find pipeline'), {
          name: 'NotFoundError',
        }),
      },
    );
    await renderSection(<ExecutionsSection />, {
      getExecutions: jest.fn().mockRejectedValue(error),
    });
    expect(
      await screen.findByText(/Pipeline executions: no pipeline yet/),
    ).toBeInTheDocument();
    // Shown open: what creates the pipeline is the point of the panel.
    expect(screen.getByText(/creates it and starts it/)).toBeVisible();
    expect(screen.queryByText(/Request failed/)).not.toBeInTheDocument();
  });

  it("names the annotation to fix when the backend refuses the entity's annotation", async () => {
    // What the API client throws for the backend's 400: a ResponseError whose cause is the backend's error.
    const error = Object.assign(
      new Error('Request failed with 400 Bad Request'),
      {
        name: 'ResponseError',
        cause: Object.assign(
          new Error(
            "Annotation aws.amazon.com/sagemaker-pipeline-arn: 'x' is not a SageMaker ARN",
          ),
          {
            name: 'InputError',
            annotation: 'aws.amazon.com/sagemaker-pipeline-arn',
          },
        ),
      },
    );
    await renderSection(<ExecutionsSection />, {
      getExecutions: jest.fn().mockRejectedValue(error),
    });
    // The backend's message, not the client's "Request failed".
    expect(
      await screen.findByText(
        /^Error: Pipeline executions: .*is not a SageMaker ARN/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Check the aws.amazon.com/sagemaker-pipeline-arn annotation of this entity.',
      ),
    ).toBeInTheDocument();
  });

  it("shows SageMaker's failure with its fix where the table would be, keeping the pipeline's link", async () => {
    await renderSection(<ExecutionsSection />, {
      getExecutions: jest.fn().mockResolvedValue({
        ...page(),
        executions: {
          error: sectionError(
            'access-denied',
            'SageMaker ListPipelineExecutions: access denied',
            {
              fix: 'Grant the portal role sagemaker:ListPipelineExecutions.',
              account: '123456789012',
              region: 'us-east-1',
            },
          ),
        },
      }),
    });
    expect(
      await screen.findByText(
        'Error: Pipeline executions: SageMaker ListPipelineExecutions: access denied',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Grant the portal role sagemaker:ListPipelineExecutions.',
      ),
    ).toBeVisible();
    expect(screen.getByTestId('section-error')).toHaveTextContent(
      'AWS account 123456789012, region us-east-1.',
    );
    expect(screen.queryByTestId('executions-table')).not.toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /Open the pipeline in SageMaker/ }),
    ).toHaveAttribute('href', 'https://console/pipeline');
  });

  it("says what creates the pipeline when SageMaker's section says it does not exist", async () => {
    await renderSection(<ExecutionsSection />, {
      getExecutions: jest.fn().mockResolvedValue({
        ...page(),
        executions: {
          error: sectionError('not-found', 'Pipeline does not exist'),
        },
      }),
    });
    expect(
      await screen.findByText(/Pipeline executions: no pipeline yet/),
    ).toBeInTheDocument();
  });

  it('keeps the executions without metric columns when MLflow failed, and says so', async () => {
    await renderSection(<ExecutionsSection />, {
      getExecutions: jest.fn().mockResolvedValue({
        ...page(),
        runMetrics: {
          error: sectionError('throttled', 'MLflow search-runs: throttled', {
            retryAfterSeconds: 7,
          }),
        },
      }),
    });
    expect(await screen.findByText('run-aaa111')).toBeInTheDocument();
    expect(
      screen.getByText('Error: MLflow metrics: MLflow search-runs: throttled'),
    ).toBeInTheDocument();
    expect(screen.getByText('Try again in 7 seconds.')).toBeInTheDocument();
    expect(
      screen.queryByRole('columnheader', { name: 'accuracy' }),
    ).not.toBeInTheDocument();
  });
});

describe('executionDuration', () => {
  const started = Date.parse('2026-11-01T10:00:00.000Z');
  it('gives a finished execution its duration and a running one its time so far', () => {
    expect(executionDuration(execution('a', 'Succeeded'))).toBe('2m 5s');
    const running = { ...execution('b', 'Executing'), durationMs: undefined };
    expect(executionDuration(running, started + 90_000)).toBe('1m 30s so far');
    const unknown = { ...execution('c', 'Failed'), durationMs: undefined };
    expect(executionDuration(unknown)).toBe('—');
  });
});

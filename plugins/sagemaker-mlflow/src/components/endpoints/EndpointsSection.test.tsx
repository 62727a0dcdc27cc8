import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { EndpointsResponse } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  binding,
  renderSection,
  sectionError,
} from '../../__testUtils__/renderSection';
import { EndpointsSection } from './EndpointsSection';

const endpoints: EndpointsResponse = {
  items: [
    {
      name: 'demo-model-staging',
      arn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo-model-staging',
      endpoint: {
        data: {
          name: 'demo-model-staging',
          arn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo-model-staging',
          status: 'InService',
          variants: [
            {
              name: 'AllTraffic',
              modelName: 'demo-model-v1',
              instanceType: 'ml.m5.large',
              currentInstanceCount: 1,
            },
          ],
          deployedVersion: { modelName: 'demo-model', version: '1' },
          consoleUrl: 'https://console/endpoint',
        },
      },
      binding: binding(
        'endpoint',
        'arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo-model-staging',
      ),
    },
  ],
};
const example = {
  endpointName: 'demo-model-staging',
  modelVersion: '1',
  json: '{"dataframe_split":{}}',
  csv: 'a,b\n1,2',
  labels: [1],
};

describe('EndpointsSection', () => {
  it('says how to deploy an endpoint that does not exist yet, without a console', async () => {
    const getEndpointExample = jest.fn();
    await renderSection(<EndpointsSection />, {
      getEndpoints: jest.fn().mockResolvedValue({
        items: [
          {
            name: 'fraud-model-staging',
            arn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-model-staging',
            endpoint: {
              error: sectionError('not-found', 'Could not find endpoint'),
            },
          },
        ],
      }),
      getEndpointExample,
    });
    expect(await screen.findByText(/Not deployed yet/)).toBeInTheDocument();
    expect(screen.getByText(/Approve a model version/)).toBeVisible();
    expect(
      screen.queryByRole('button', { name: 'Invoke' }),
    ).not.toBeInTheDocument();
    expect(getEndpointExample).not.toHaveBeenCalled();
  });

  it('says what the portal lacks for an endpoint it has no credentials for, and how to fix it', async () => {
    const getEndpointExample = jest.fn().mockResolvedValue(example);
    await renderSection(<EndpointsSection />, {
      getEndpoints: jest.fn().mockResolvedValue({
        items: [
          {
            name: 'demo-model-prod',
            arn: 'arn:aws:sagemaker:eu-west-1:210987654321:endpoint/demo-model-prod',
            endpoint: {
              error: sectionError(
                'missing-credentials',
                'The portal has no AWS credentials for account 210987654321',
                {
                  fix: 'Add account 210987654321 to aws.accounts in app-config.yaml.',
                  account: '210987654321',
                  region: 'eu-west-1',
                },
              ),
            },
          },
          endpoints.items[0],
        ],
      }),
      getEndpointExample,
    });
    expect(
      await screen.findByText(
        'Error: demo-model-prod: The portal has no AWS credentials for account 210987654321',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Add account 210987654321 to aws.accounts in app-config.yaml.',
      ),
    ).toBeVisible();
    expect(screen.queryByText(/Not deployed yet/)).not.toBeInTheDocument();
    // The other endpoint loads on its own, with its console.
    expect(screen.getByText('InService')).toBeInTheDocument();
    expect(screen.getAllByRole('button', { name: 'Invoke' })).toHaveLength(1);
    await waitFor(() =>
      expect(getEndpointExample).toHaveBeenCalledWith(
        expect.anything(),
        'demo-model-staging',
      ),
    );
    expect(getEndpointExample).toHaveBeenCalledTimes(1);
  });

  it('shows status, variants and deployed version, and prefills the console with the example', async () => {
    await renderSection(<EndpointsSection />, {
      getEndpoints: jest.fn().mockResolvedValue(endpoints),
      getEndpointExample: jest.fn().mockResolvedValue(example),
    });
    expect(await screen.findByText('InService')).toBeInTheDocument();
    expect(screen.getByText('demo-model v1')).toBeInTheDocument();
    expect(
      screen.getByText('AllTraffic: demo-model-v1 on 1 × ml.m5.large'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByLabelText('Request (application/json)')).toHaveValue(
        '{"dataframe_split":{}}',
      ),
    );
    await userEvent.click(screen.getByRole('button', { name: 'CSV' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Request (text/csv)')).toHaveValue(
        'a,b\n1,2',
      ),
    );
  });

  it('keeps what the user typed in each format across format switches, and invokes with it', async () => {
    const invokeEndpoint = jest.fn().mockResolvedValue({
      endpointName: 'demo-model-staging',
      statusCode: 200,
      contentType: 'application/json',
      latencyMs: 3,
      body: { predictions: [0] },
    });
    await renderSection(<EndpointsSection />, {
      getEndpoints: jest.fn().mockResolvedValue(endpoints),
      getEndpointExample: jest.fn().mockResolvedValue(example),
      invokeEndpoint,
    });
    const json = await screen.findByLabelText('Request (application/json)');
    await waitFor(() => expect(json).toHaveValue(example.json));
    await userEvent.clear(json);
    await userEvent.type(json, '{{"inputs": 7}'); // {{ types one {
    await userEvent.click(screen.getByRole('button', { name: 'CSV' }));
    expect(screen.getByLabelText('Request (text/csv)')).toHaveValue(
      example.csv,
    );
    await userEvent.click(screen.getByRole('button', { name: 'JSON' }));
    expect(screen.getByLabelText('Request (application/json)')).toHaveValue(
      '{"inputs": 7}',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Invoke' }));
    await waitFor(() =>
      expect(invokeEndpoint).toHaveBeenCalledWith(
        expect.anything(),
        'demo-model-staging',
        '{"inputs": 7}',
        'application/json',
      ),
    );
  });

  it('invokes with the example payload and shows the answer and latency', async () => {
    const invokeEndpoint = jest.fn().mockResolvedValue({
      endpointName: 'demo-model-staging',
      statusCode: 200,
      contentType: 'application/json',
      latencyMs: 12.5,
      body: { predictions: [1] },
    });
    await renderSection(<EndpointsSection />, {
      getEndpoints: jest.fn().mockResolvedValue(endpoints),
      getEndpointExample: jest.fn().mockResolvedValue(example),
      invokeEndpoint,
    });
    await waitFor(() =>
      expect(screen.getByLabelText('Request (application/json)')).toHaveValue(
        example.json,
      ),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Invoke' }));
    expect(await screen.findByText('HTTP 200 in 12.5 ms')).toBeInTheDocument();
    expect(invokeEndpoint).toHaveBeenCalledWith(
      expect.anything(),
      'demo-model-staging',
      example.json,
      'application/json',
    );
  });

  it('validates and shows accuracy with predicted against true labels', async () => {
    const validateEndpoint = jest.fn().mockResolvedValue({
      endpointName: 'demo-model-staging',
      modelVersion: '1',
      rows: 4,
      labels: [1, 0, 1, 1],
      predictions: [1, 0, 0, 1],
      accuracy: 0.75,
      latencyMs: 20,
    });
    await renderSection(<EndpointsSection />, {
      getEndpoints: jest.fn().mockResolvedValue(endpoints),
      getEndpointExample: jest.fn().mockResolvedValue(example),
      validateEndpoint,
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Validate' }),
    );
    expect(
      await screen.findByText(/Accuracy 75.0% on 4 rows/),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('img', { name: 'Predicted vs true labels' }),
    ).toBeInTheDocument();
  });

  it('shows the endpoint error message when the model rejects the payload', async () => {
    const invokeEndpoint = jest
      .fn()
      .mockRejectedValue(
        new Error(
          'endpoint demo-model-staging: HTTP 400: Failed to enforce schema',
        ),
      );
    await renderSection(<EndpointsSection />, {
      getEndpoints: jest.fn().mockResolvedValue(endpoints),
      getEndpointExample: jest.fn().mockResolvedValue(example),
      invokeEndpoint,
    });
    await waitFor(() =>
      expect(screen.getByLabelText('Request (application/json)')).toHaveValue(
        example.json,
      ),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Invoke' }));
    expect(
      await screen.findByText(/Failed to enforce schema/),
    ).toBeInTheDocument();
  });

  it('disables the console with an explanation for users who may not invoke', async () => {
    await renderSection(
      <EndpointsSection />,
      {
        getEndpoints: jest.fn().mockResolvedValue(endpoints),
        getEndpointExample: jest.fn().mockResolvedValue(example),
      },
      { allowWrites: false },
    );
    expect(
      await screen.findByText(
        /needs the sagemaker-mlflow.endpoint.invoke permission/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Invoke' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Validate' })).toBeDisabled();
  });

  it('shows an unbound endpoint without its test console, with how to bind it', async () => {
    const getEndpointExample = jest.fn().mockResolvedValue(example);
    await renderSection(<EndpointsSection />, {
      getEndpoints: jest.fn().mockResolvedValue({
        items: [
          {
            ...endpoints.items[0],
            binding: binding('endpoint', endpoints.items[0].arn, 'unbound'),
          },
        ],
      }),
      getEndpointExample,
    });
    expect(await screen.findByText('InService')).toBeInTheDocument();
    expect(screen.getByTestId('not-bound')).toHaveTextContent(
      `${endpoints.items[0].arn} has no backstage.io/entity-ref tag`,
    );
    expect(
      screen.queryByRole('button', { name: 'Invoke' }),
    ).not.toBeInTheDocument();
    expect(getEndpointExample).not.toHaveBeenCalled();
  });
});

import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ModelVersionsPage } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  binding,
  demoEntity,
  modelPackage,
  renderSection,
  sectionError,
  version,
} from '../../__testUtils__/renderSection';
import { ModelVersionsSection } from './ModelVersionsSection';

const page: ModelVersionsPage = {
  modelName: 'demo-model',
  modelUrl: 'http://mlflow/#/models/demo-model',
  versions: {
    data: {
      items: [version('3'), version('2'), version('1', ['champion'])],
      aliases: { champion: '1' },
      champion: { version: '1', by: 'alias' },
    },
  },
  modelPackages: {
    data: {
      '3': modelPackage('3', 'PendingManualApproval'),
      '2': modelPackage('2', 'Rejected'),
      '1': modelPackage('1', 'Approved'),
    },
  },
  bindings: [
    binding('registered-model', 'demo-model'),
    binding(
      'model-package-group',
      'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/demo-model',
    ),
  ],
};

describe('ModelVersionsSection', () => {
  it('lists versions with aliases, approval, metrics, run links and a chart by version', async () => {
    await renderSection(<ModelVersionsSection />, {
      getModelVersions: jest.fn().mockResolvedValue(page),
    });
    expect(await screen.findByText('@champion')).toBeInTheDocument();
    expect(screen.getByText('Pending approval')).toBeInTheDocument();
    expect(screen.getByText('Rejected')).toBeInTheDocument();
    expect(screen.getByText('0.9300')).toBeInTheDocument();
    expect(screen.getByText('run3abcd')).toHaveAttribute(
      'href',
      'http://mlflow/#/runs/run3',
    );
    expect(
      screen.getByRole('img', { name: 'accuracy by version' }),
    ).toBeInTheDocument();
  });

  it('shows MLflow 2.x registry stages beside the aliases, and the champion by stage when no alias names one', async () => {
    await renderSection(<ModelVersionsSection />, {
      getModelVersions: jest.fn().mockResolvedValue({
        ...page,
        versions: {
          data: {
            items: [
              { ...version('4'), currentStage: 'Staging' },
              { ...version('3'), currentStage: 'Production' },
              { ...version('2'), currentStage: 'Production' },
              version('1', ['challenger']),
            ],
            aliases: { challenger: '1' },
            champion: { version: '3', by: 'stage' },
          },
        },
      }),
    });
    expect(await screen.findByText('Staging')).toBeInTheDocument();
    const row = (v: string) =>
      document.getElementById(`model-version-${v}`)!.closest('tr')!;
    expect(within(row('4')).getByText('Staging')).toBeInTheDocument();
    expect(within(row('3')).getByTitle(/Champion by stage/)).toHaveTextContent(
      'Production · champion',
    );
    expect(within(row('2')).getByText('Production')).toBeInTheDocument();
    expect(within(row('1')).getByText('@challenger')).toBeInTheDocument();
    expect(
      within(row('1')).queryByText(/Production|Staging|Archived/),
    ).not.toBeInTheDocument();
    // The chart highlights the champion by stage too.
    const bar = (v: string) =>
      screen
        .getByText(new RegExp(`^version ${v}: `))
        .parentElement!.querySelector('rect');
    expect(bar('3')).toHaveAttribute('fill', '#2e7d32');
    expect(bar('2')).toHaveAttribute('fill', '#1565c0');
  });

  it("shows a model's own metrics as columns when it logs none of the key metrics (a model the template did not make)", async () => {
    const regression = (v: string, rmse: number) => ({
      ...version(v),
      metrics: { rmse, mae: rmse / 4 },
    });
    await renderSection(<ModelVersionsSection />, {
      getModelVersions: jest.fn().mockResolvedValue({
        ...page,
        versions: {
          data: {
            items: [regression('2', 1.25), regression('1', 2.5)],
            aliases: {},
          },
        },
      }),
    });
    expect(
      await screen.findByRole('columnheader', { name: 'rmse' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('columnheader', { name: 'mae' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('columnheader', { name: 'accuracy' }),
    ).not.toBeInTheDocument();
    expect(screen.getByText('1.2500')).toBeInTheDocument();
  });

  it('approves a version with a comment, for an owner', async () => {
    const setApproval = jest
      .fn()
      .mockResolvedValue({ version: '3', approvalStatus: 'Approved' });
    const { alerts } = await renderSection(<ModelVersionsSection />, {
      getModelVersions: jest.fn().mockResolvedValue(page),
      setApproval,
    });
    const approveButtons = await screen.findAllByRole('button', {
      name: 'Approve',
    });
    await userEvent.click(approveButtons[0]);
    fireEvent.change(screen.getByLabelText('Comment'), {
      target: { value: 'meets the gate' },
    });
    await userEvent.click(
      screen.getAllByRole('button', { name: 'Approve' }).pop()!,
    );
    await waitFor(() =>
      expect(setApproval).toHaveBeenCalledWith(expect.anything(), '3', {
        status: 'Approved',
        comment: 'meets the gate',
      }),
    );
    expect(alerts.post).toHaveBeenCalledWith(
      expect.objectContaining({ severity: 'success' }),
    );
  });

  it('disables approve and reject for users who may not approve', async () => {
    await renderSection(
      <ModelVersionsSection />,
      { getModelVersions: jest.fn().mockResolvedValue(page) },
      { allowWrites: false },
    );
    await screen.findByText('@champion');
    await waitFor(() => {
      for (const button of [
        ...screen.getAllByRole('button', { name: 'Approve' }),
        ...screen.getAllByRole('button', { name: 'Reject' }),
      ]) {
        expect(button).toBeDisabled();
      }
    });
  });

  it('offers no approval while the model or its package group is not bound to this component', async () => {
    await renderSection(<ModelVersionsSection />, {
      getModelVersions: jest.fn().mockResolvedValue({
        ...page,
        bindings: [
          page.bindings[0],
          binding('model-package-group', 'group-arn', 'bound-elsewhere'),
        ],
      }),
    });
    expect(await screen.findByText('@champion')).toBeInTheDocument();
    expect(screen.getByTestId('not-bound')).toHaveTextContent('group-arn');
    expect(
      screen.queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Reject' }),
    ).not.toBeInTheDocument();
  });

  it("on a model's own catalog entity, says whose the model is and offers no command that would rebind it", async () => {
    await renderSection(
      <ModelVersionsSection />,
      {
        getModelVersions: jest.fn().mockResolvedValue({
          ...page,
          bindings: [
            binding('registered-model', 'demo-model', 'bound-elsewhere'),
          ],
        }),
      },
      {
        allowWrites: true,
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
    const panel = await screen.findByTestId('not-bound');
    expect(panel).toHaveTextContent('from the component it is bound to');
    expect(panel).not.toHaveTextContent('aws sagemaker add-tags');
    expect(
      screen.getByText(/catalog's view of a registry model/),
    ).toBeInTheDocument();
  });

  it('keeps the MLflow versions, without approval, when SageMaker failed, and says what to fix', async () => {
    await renderSection(<ModelVersionsSection />, {
      getModelVersions: jest.fn().mockResolvedValue({
        ...page,
        modelPackages: {
          error: sectionError(
            'missing-credentials',
            'No AWS credentials for account 123456789012',
            { fix: 'Add account 123456789012 under aws.accounts.' },
          ),
        },
      }),
    });
    expect(
      await screen.findByText(
        'Error: SageMaker approval status: No AWS credentials for account 123456789012',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Add account 123456789012 under aws.accounts.'),
    ).toBeVisible();
    expect(screen.getByText('@champion')).toBeInTheDocument();
    expect(
      within(screen.getByTestId('versions-table')).getByText('v3'),
    ).toBeInTheDocument();
    expect(screen.getByText('0.9300')).toBeInTheDocument();
    // No package, no approval status and nothing to approve.
    expect(screen.queryByText('Pending approval')).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
  });

  it("shows MLflow's failure where the table would be, keeping the model's link", async () => {
    await renderSection(<ModelVersionsSection />, {
      getModelVersions: jest.fn().mockResolvedValue({
        ...page,
        versions: {
          error: sectionError(
            'unavailable',
            "MLflow server 'default' is not answering",
          ),
        },
      }),
    });
    expect(
      await screen.findByText(
        "Error: Model versions: MLflow server 'default' is not answering",
      ),
    ).toBeInTheDocument();
    expect(screen.queryByTestId('versions-table')).not.toBeInTheDocument();
    expect(screen.queryByTestId('metric-chart')).not.toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /Open the model in MLflow/ }),
    ).toHaveAttribute('href', 'http://mlflow/#/models/demo-model');
  });

  it('hides the model package tag, which the approval column links to', async () => {
    await renderSection(<ModelVersionsSection />, {
      getModelVersions: jest.fn().mockResolvedValue({
        ...page,
        versions: {
          data: {
            items: [
              {
                ...version('1'),
                tags: {
                  'sagemaker.model_package_arn': 'arn:pkg/1',
                  team: 'fraud',
                },
              },
            ],
            aliases: {},
          },
        },
      }),
    });
    expect(await screen.findByText('team=fraud')).toBeInTheDocument();
    expect(screen.queryByText(/arn:pkg\/1/)).not.toBeInTheDocument();
  });

  it('lists the packages of the group that match no MLflow version as SageMaker only, page by page', async () => {
    const groupArn =
      'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/demo-model';
    const withGroup = {
      ...demoEntity,
      metadata: {
        ...demoEntity.metadata,
        annotations: {
          ...demoEntity.metadata.annotations,
          'aws.amazon.com/sagemaker-model-package-group-arn': groupArn,
        },
      },
    };
    const onlyPackage = (v: number, approvalStatus: string) => ({
      arn: `arn:aws:sagemaker:us-east-1:123456789012:model-package/demo-model/${v}`,
      approvalStatus,
      version: v,
      consoleUrl: `https://console/pkg/${v}`,
      description: `abalone ${v}`,
    });
    const getSageMakerOnlyVersions = jest.fn(
      async (_entity: unknown, { pageToken }: { pageToken?: string }) =>
        pageToken === 'older'
          ? { items: [onlyPackage(4, 'PendingManualApproval')], scanned: 7 }
          : {
              // Package 3 is version 3's (joined by its tag, without metadata): the table shows it already.
              items: [onlyPackage(9, 'Approved'), onlyPackage(3, 'Rejected')],
              scanned: 100,
              nextPageToken: 'older',
            },
    );
    await renderSection(
      <ModelVersionsSection />,
      {
        getModelVersions: jest.fn().mockResolvedValue(page),
        getSageMakerOnlyVersions,
      },
      { allowWrites: true, entity: withGroup },
    );
    const panel = await screen.findByTestId('sagemaker-only-versions');
    // The panel's heading and the row's label.
    expect(within(panel).getAllByText('SageMaker only')).toHaveLength(2);
    expect(within(panel).getByText('v9')).toBeInTheDocument();
    expect(within(panel).queryByText('v3')).not.toBeInTheDocument();
    expect(within(panel).getByText('Approved').closest('a')).toHaveAttribute(
      'href',
      'https://console/pkg/9',
    );
    fireEvent.click(within(panel).getByText('Look at older packages'));
    expect(await within(panel).findByText('v4')).toBeInTheDocument();
    expect(within(panel).getByText('Pending approval')).toBeInTheDocument();
    expect(within(panel).getByText(/newest 107 packages/)).toBeInTheDocument();
    expect(
      within(panel).queryByText('Look at older packages'),
    ).not.toBeInTheDocument();
    expect(getSageMakerOnlyVersions).toHaveBeenLastCalledWith(
      expect.objectContaining({ name: 'demo-model' }),
      { pageSize: 100, pageToken: 'older' },
    );
  });
});

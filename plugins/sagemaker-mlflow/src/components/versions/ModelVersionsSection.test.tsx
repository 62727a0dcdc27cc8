import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  binding,
  renderSection,
  version,
} from '../../__testUtils__/renderSection';
import { ModelVersionsSection } from './ModelVersionsSection';

const page = {
  modelName: 'demo-model',
  modelUrl: 'http://mlflow/#/models/demo-model',
  aliases: { champion: '1' },
  items: [
    version('3', 'PendingManualApproval'),
    version('2', 'Rejected'),
    version('1', 'Approved', ['champion']),
  ],
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

  it('keeps the MLflow versions when the SageMaker join failed, and says so', async () => {
    await renderSection(<ModelVersionsSection />, {
      getModelVersions: jest.fn().mockResolvedValue({
        ...page,
        sagemakerError: {
          name: 'UpstreamError',
          message: 'SageMaker ListModelPackages: throttled',
        },
      }),
    });
    expect(
      await screen.findByText(/ListModelPackages: throttled/),
    ).toBeInTheDocument();
    expect(screen.getByText('@champion')).toBeInTheDocument();
  });
});

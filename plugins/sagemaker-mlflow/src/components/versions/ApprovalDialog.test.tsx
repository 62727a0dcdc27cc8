import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { VersionComparison } from '@model-factory/plugin-sagemaker-mlflow-common';
import { renderSection, sectionError } from '../../__testUtils__/renderSection';
import { ApprovalDialog } from './ApprovalDialog';

const comparison: VersionComparison = {
  modelName: 'demo-model',
  candidate: {
    version: '3',
    runId: 'run3',
    runUrl: 'http://mlflow/#/runs/run3',
  },
  champion: {
    data: {
      state: 'champion',
      version: '1',
      by: 'alias',
      runId: 'run1',
      runUrl: 'http://mlflow/#/runs/run1',
    },
  },
  metrics: {
    data: [
      { name: 'accuracy', candidate: 0.95, champion: 0.97, delta: -0.02 },
      { name: 'f1', candidate: 0.96, champion: 0.95, delta: 0.01 },
      { name: 'log_loss', candidate: 0.12, champion: 0.1, delta: 0.02 },
      { name: 'train_seconds', candidate: 3.5 },
    ],
  },
  gate: {
    data: {
      source: 'version-tags',
      metric: 'accuracy',
      threshold: 0.93,
      candidateValue: 0.95,
      passed: true,
    },
  },
  validation: {
    candidate: {
      error: sectionError(
        'not-found',
        "No serving endpoint for the candidate (version 3): none of this entity's endpoints serves it",
      ),
    },
    champion: {
      data: {
        version: '1',
        endpointName: 'demo-model-staging',
        rows: 57,
        accuracy: 0.9649,
        latencyMs: 12.3,
      },
    },
  },
};

function renderDialog(
  getVersionComparison: jest.Mock,
  onConfirm = jest.fn().mockResolvedValue(undefined),
) {
  return renderSection(
    <ApprovalDialog
      version="3"
      status="Approved"
      onClose={() => {}}
      onConfirm={onConfirm}
    />,
    { getVersionComparison },
  );
}

describe('ApprovalDialog', () => {
  it('shows the candidate beside the champion: metrics with signed, colored differences, the gate, and validation of both', async () => {
    const getVersionComparison = jest.fn().mockResolvedValue(comparison);
    await renderDialog(getVersionComparison);
    const table = await screen.findByRole('table', {
      name: 'metrics, candidate beside champion',
    });
    expect(getVersionComparison).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'demo-model' },
      '3',
    );
    const accuracy = within(table).getByTestId('metric-accuracy');
    expect(accuracy).toHaveTextContent('0.9500');
    expect(accuracy).toHaveTextContent('0.9700');
    // Worse accuracy: a minus sign, in red; better f1: a plus, in green; a higher loss is worse.
    expect(screen.getByTestId('delta-accuracy')).toHaveTextContent('−0.0200');
    expect(screen.getByTestId('delta-accuracy')).toHaveStyle({
      color: '#c62828',
    });
    expect(screen.getByTestId('delta-f1')).toHaveTextContent('+0.0100');
    expect(screen.getByTestId('delta-f1')).toHaveStyle({ color: '#2e7d32' });
    expect(screen.getByTestId('delta-log_loss')).toHaveAttribute(
      'title',
      'worse',
    );
    // A metric only the candidate logged has no difference.
    expect(within(table).getByTestId('metric-train_seconds')).toHaveTextContent(
      '—',
    );
    // The gate metric's row is highlighted with its threshold and verdict.
    expect(accuracy).toHaveTextContent('gate ≥ 0.93');
    expect(accuracy).toHaveTextContent('passes');
    expect(within(table).getByTestId('metric-f1')).not.toHaveTextContent(
      'gate',
    );
    expect(
      screen.getByText(/from the register step's version tags/),
    ).toBeInTheDocument();
    expect(screen.queryByTestId('gate-message')).not.toBeInTheDocument();
    // The same sample through both: the champion's numbers, the candidate's reason.
    expect(screen.getByTestId('validation-Champion')).toHaveTextContent(
      '96.5%',
    );
    expect(screen.getByTestId('validation-Champion')).toHaveTextContent('57');
    expect(screen.getByTestId('validation-Champion')).toHaveTextContent(
      '12.3 ms',
    );
    expect(screen.getByTestId('validation-Candidate')).toHaveTextContent(
      'No serving endpoint for the candidate',
    );
  });

  it('shows a failing gate and says when the version is the champion itself', async () => {
    await renderDialog(
      jest.fn().mockResolvedValue({
        ...comparison,
        champion: {
          data: {
            state: 'is-candidate',
            version: '3',
            message: 'Version 3 is the champion itself',
          },
        },
        metrics: { data: [{ name: 'accuracy', candidate: 0.9 }] },
        gate: {
          data: { ...comparison.gate.data, candidateValue: 0.9, passed: false },
        },
      }),
    );
    expect(
      await screen.findByText('Version 3 is the champion itself'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('metric-accuracy')).toHaveTextContent('fails');
    expect(
      screen.queryByRole('columnheader', { name: 'Champion' }),
    ).not.toBeInTheDocument();
  });

  it("holds the candidate to the execution's threshold, and says when the version's tag disagrees", async () => {
    await renderDialog(
      jest.fn().mockResolvedValue({
        ...comparison,
        gate: {
          data: {
            ...comparison.gate.data,
            source: 'execution-parameters',
            threshold: 0.96,
            passed: false,
            message:
              "The version's gate_threshold tag says 0.93, but the execution ran with GateThreshold 0.96: the execution's value is used",
          },
        },
      }),
    );
    expect(
      await screen.findByText(/from the execution's GateThreshold parameter/),
    ).toBeInTheDocument();
    expect(screen.getByTestId('metric-accuracy')).toHaveTextContent(
      'gate ≥ 0.96',
    );
    expect(screen.getByTestId('gate-message')).toHaveTextContent(
      "The version's gate_threshold tag says 0.93, but the execution ran with GateThreshold 0.96",
    );
  });

  it('shows why a part is unavailable, and the decision can still be made', async () => {
    const onConfirm = jest.fn().mockResolvedValue(undefined);
    await renderDialog(
      jest.fn().mockResolvedValue({
        ...comparison,
        metrics: {
          error: sectionError('unavailable', 'MLflow does not answer'),
        },
      }),
      onConfirm,
    );
    expect(
      await screen.findByText(/Metrics: MLflow does not answer/),
    ).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Comment'), {
      target: { value: 'ok by me' },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(onConfirm).toHaveBeenCalledWith('ok by me'));
  });

  it('keeps the dialog usable when the comparison cannot be loaded at all', async () => {
    await renderDialog(
      jest.fn().mockRejectedValue(new Error('backend unreachable')),
    );
    expect(
      await screen.findByText(
        /Comparison with the champion: backend unreachable/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Approve' })).toBeEnabled();
  });
});

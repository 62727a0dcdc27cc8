import { NotFoundError } from '@backstage/errors';
import type { VersionComparison } from '@model-factory/plugin-sagemaker-mlflow-common';
import { VALIDATION_SAMPLE_ARTIFACT } from '@model-factory/plugin-sagemaker-mlflow-common';
import type {
  MlflowModelVersion,
  MlflowRun,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import {
  compareMetrics,
  gateOf,
  summarizeComparison,
  validationSample,
} from './versionComparison';

describe('compareMetrics', () => {
  it('takes the union of both runs’ metrics, key metrics first, with the difference only where both logged one', () => {
    expect(
      compareMetrics(
        { rmse: 1.5, accuracy: 0.9, train_seconds: 3 },
        { accuracy: 0.95, f1: 0.9, rmse: 2 },
      ),
    ).toEqual([
      { name: 'accuracy', candidate: 0.9, champion: 0.95, delta: 0.9 - 0.95 },
      { name: 'f1', champion: 0.9 },
      { name: 'rmse', candidate: 1.5, champion: 2, delta: -0.5 },
      { name: 'train_seconds', candidate: 3 },
    ]);
  });

  it('has no differences without a champion', () => {
    expect(compareMetrics({ accuracy: 0.9 }, {})).toEqual([
      { name: 'accuracy', candidate: 0.9 },
    ]);
  });
});

describe('summarizeComparison', () => {
  const comparison: VersionComparison = {
    modelName: 'demo-model',
    candidate: { version: '3', runId: 'r3' },
    champion: {
      data: { state: 'champion', version: '1', by: 'alias', runId: 'r1' },
    },
    metrics: {
      data: [
        { name: 'accuracy', candidate: 0.9, champion: 0.95, delta: -0.05 },
      ],
    },
    gate: {
      data: {
        source: 'version-tags',
        metric: 'accuracy',
        threshold: 0.93,
        passed: false,
      },
    },
    validation: {
      candidate: {
        error: {
          code: 'not-found',
          name: 'NotFoundError',
          message: 'No serving endpoint for the candidate',
        },
      },
      champion: {
        data: {
          version: '1',
          endpointName: 'staging',
          rows: 10,
          accuracy: 0.9,
          latencyMs: 5,
        },
      },
    },
  };

  it('keeps the champion, each metric, the gate and both accuracies (or why not): no sample data', () => {
    expect(summarizeComparison(comparison)).toEqual({
      candidateVersion: '3',
      championVersion: '1',
      champion: 'champion',
      metrics: { accuracy: { candidate: 0.9, champion: 0.95, delta: -0.05 } },
      gate: {
        source: 'version-tags',
        metric: 'accuracy',
        threshold: 0.93,
        passed: false,
      },
      validation: {
        candidate: 'unavailable: No serving endpoint for the candidate',
        champion: 0.9,
      },
    });
  });

  it('keeps only the key metrics and the gate’s, and of the gate not the execution’s parameters', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({
      name: `extra_${String(i).padStart(2, '0')}`,
      candidate: i,
    }));
    const summary = summarizeComparison({
      ...comparison,
      metrics: {
        data: [
          { name: 'accuracy', candidate: 0.9 },
          { name: 'f1', candidate: 0.8 },
          ...many,
          { name: 'log_loss', candidate: 0.3, champion: 0.2, delta: 0.1 },
        ],
      },
      gate: {
        data: {
          source: 'execution-parameters',
          metric: 'log_loss',
          threshold: 0.25,
          candidateValue: 0.3,
          passed: true,
          message: 'the tag says 0.5',
          executionArn: 'arn:aws:sagemaker:eu-west-1:1:pipeline/p/execution/e',
          executionParameters: {
            GateThreshold: '0.25',
            TrainingData: 's3://secret-bucket/data?X-Amz-Signature=abc',
          },
        },
      },
    });
    expect(Object.keys(summary.metrics!).sort()).toEqual([
      'accuracy',
      'f1',
      'log_loss',
    ]);
    expect(summary.gate).toEqual({
      source: 'execution-parameters',
      metric: 'log_loss',
      threshold: 0.25,
      candidateValue: 0.3,
      passed: true,
      message: 'the tag says 0.5',
      executionArn: 'arn:aws:sagemaker:eu-west-1:1:pipeline/p/execution/e',
    });
    expect(JSON.stringify(summary)).not.toContain('secret-bucket');
  });

  it('names the parts that failed', () => {
    const summary = summarizeComparison({
      ...comparison,
      champion: { data: { state: 'none', message: 'no champion' } },
      metrics: {
        error: {
          code: 'timeout',
          name: 'UpstreamError',
          message: 'MLflow: no answer',
        },
      },
    });
    expect(summary.championVersion).toBeUndefined();
    expect(summary.champion).toBe('none');
    expect(summary.metrics).toBeUndefined();
    expect(summary.unavailable).toEqual(['metrics: MLflow: no answer']);
  });
});

describe('gateOf', () => {
  const execution = (threshold?: string) => ({
    arn: 'arn:aws:sagemaker:eu-west-1:1:pipeline/p/execution/e',
    parameters: (threshold === undefined
      ? {}
      : { GateThreshold: threshold }) as Record<string, string>,
  });
  const tags = { gate_metric: 'accuracy', gate_threshold: '0.5' };

  it('holds the candidate to the execution’s GateThreshold, not a version tag that says otherwise, and says both', () => {
    const gate = gateOf(tags, { accuracy: 0.7 }, execution('0.9'));
    expect(gate).toMatchObject({
      source: 'execution-parameters',
      metric: 'accuracy',
      threshold: 0.9,
      candidateValue: 0.7,
      passed: false,
    });
    expect(gate.message).toContain('tag says 0.5');
    expect(gate.message).toContain('GateThreshold 0.9');
  });

  it('has no message when the tag and the execution agree', () => {
    const gate = gateOf(tags, { accuracy: 0.7 }, execution('0.50'));
    expect(gate).toMatchObject({
      source: 'execution-parameters',
      threshold: 0.5,
      passed: true,
    });
    expect(gate.message).toBeUndefined();
  });

  it('uses the tag’s threshold only without the execution’s parameter', () => {
    expect(gateOf(tags, { accuracy: 0.7 }, undefined)).toEqual({
      source: 'version-tags',
      metric: 'accuracy',
      threshold: 0.5,
      candidateValue: 0.7,
      passed: true,
    });
    expect(gateOf(tags, { accuracy: 0.7 }, execution())).toMatchObject({
      source: 'version-tags',
      threshold: 0.5,
    });
    expect(gateOf({}, {}, undefined)).toEqual({ source: 'none' });
  });
});

describe('validationSample', () => {
  const sample = JSON.stringify({
    columns: ['x'],
    data: [[1], [2]],
    labels: [0, 1],
  });
  // A stand-in for the MLflow client's download only, recording which run it was asked for: the point is which run
  // id is used, not MLflow (the integration test reads the sample from a real MLflow).
  const client = () => {
    const asked: string[] = [];
    return {
      asked,
      async downloadArtifact(runId: string, artifact: string) {
        asked.push(runId);
        expect(artifact).toBe(VALIDATION_SAMPLE_ARTIFACT);
        return Buffer.from(sample);
      },
    };
  };
  const version = (runId: string) =>
    ({ name: 'demo-model', version: '3', run_id: runId } as MlflowModelVersion);
  const run = (runId: string) =>
    ({ info: { run_id: runId }, data: {} } as unknown as MlflowRun);

  it('reads the sample from the source run found in the entity’s experiment', async () => {
    const c = client();
    const rows = await validationSample(
      c as any,
      version('r3'),
      Promise.resolve(run('r3')),
    );
    expect(rows.labels).toEqual([0, 1]);
    expect(c.asked).toEqual(['r3']);
  });

  it('reads nothing when the version’s run is not in the entity’s experiment (another team’s run)', async () => {
    const c = client();
    await expect(
      validationSample(
        c as any,
        version('other-teams-run'),
        Promise.reject(
          new NotFoundError(
            "The source run of version 3 is not in this entity's experiment",
          ),
        ),
      ),
    ).rejects.toThrow(
      /not in this entity's experiment: its validation sample is not read/,
    );
    expect(c.asked).toEqual([]);
  });
});

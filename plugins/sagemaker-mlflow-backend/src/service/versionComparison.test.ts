import type { VersionComparison } from '@model-factory/plugin-sagemaker-mlflow-common';
import { compareMetrics, summarizeComparison } from './versionComparison';

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

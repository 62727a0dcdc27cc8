import fs from 'fs';
import path from 'path';
import { BINDING_TAG } from './binding';
import * as conventions from './conventions';

// The generated project writes what the portal reads: the skeleton's settings.py must hold the same names.
const SETTINGS = path.resolve(
  __dirname,
  '../../../templates/create-model-project/skeleton/pipelines/${{ values.packageName }}/settings.py',
);

function pythonConstants(source: string): Map<string, string | string[]> {
  const constants = new Map<string, string | string[]>();
  for (const [, name, value] of source.matchAll(
    /^([A-Z][A-Z0-9_]*) = ("[^"\n]*"|\([^)\n]*\))\s*$/gm,
  )) {
    constants.set(
      name,
      value.startsWith('(')
        ? [...value.matchAll(/"([^"]*)"/g)].map(m => m[1])
        : JSON.parse(value),
    );
  }
  return constants;
}

describe('conventions shared with the generated project', () => {
  const settings = pythonConstants(fs.readFileSync(SETTINGS, 'utf8'));

  it.each([
    ['BINDING_TAG', BINDING_TAG],
    ['TAG_PIPELINE_EXECUTION_ARN', conventions.TAG_PIPELINE_EXECUTION_ARN],
    ['TAG_MODEL_PACKAGE_ARN', conventions.TAG_MODEL_PACKAGE_ARN],
    ['META_REGISTERED_MODEL_NAME', conventions.META_REGISTERED_MODEL_NAME],
    ['META_MODEL_VERSION', conventions.META_MODEL_VERSION],
    ['META_RUN_ID', conventions.META_RUN_ID],
    ['TAG_GIT_SHA', conventions.TAG_GIT_SHA],
    ['TAG_STEP_IMAGE_URI', conventions.TAG_STEP_IMAGE_URI],
    ['TAG_INFERENCE_IMAGE_URI', conventions.TAG_INFERENCE_IMAGE_URI],
    ['TAG_TRAINING_DATA_URI', conventions.TAG_TRAINING_DATA_URI],
    ['TAG_CI_BUILD_URL', conventions.TAG_CI_BUILD_URL],
    ['TAG_VALIDATION_PREFIX', conventions.TAG_VALIDATION_PREFIX],
    ['VALIDATION_SAMPLE_ARTIFACT', conventions.VALIDATION_SAMPLE_ARTIFACT],
    ['KEY_METRICS', [...conventions.KEY_METRICS]],
  ])('settings.py %s is what the portal reads', (name, value) => {
    expect(settings.get(name)).toEqual(value);
  });

  it('reads the constants it compares (a renamed or re-quoted line must not pass unnoticed)', () => {
    expect(settings.size).toBeGreaterThanOrEqual(14);
  });

  it('builds the tab path the app routes to', () => {
    expect(
      conventions.entityTabPath({
        kind: 'Component',
        namespace: 'default',
        name: 'churn-model',
      }),
    ).toBe('/catalog/default/component/churn-model/sagemaker-mlflow');
  });

  it("shows the key metrics a table's rows have, and a model's own metrics when it logs none of them", () => {
    expect(
      conventions.metricColumns([{ accuracy: 0.9, f1: 0.8 }, undefined]),
    ).toEqual(['accuracy', 'f1']);
    // A regression model the template did not make.
    expect(
      conventions.metricColumns([
        { rmse: 2.1, mae: 1.5 },
        { rmse: 2.0, r2: 0.7, mae: 1.4 },
        { rmse: 1.9, explained_variance: 0.6 },
      ]),
    ).toEqual(['rmse', 'mae', 'explained_variance']);
    expect(conventions.metricColumns([undefined, {}])).toEqual([]);
  });
});

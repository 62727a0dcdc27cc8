import { MlflowClient } from '../mlflow/MlflowClient';
import { createRequestSigner } from '../mlflow/requestSigner';

const baseUrl = process.env.MODEL_FACTORY_TEST_MLFLOW_URL;
if (!baseUrl) {
  throw new Error(
    'MODEL_FACTORY_TEST_MLFLOW_URL is not set: run the integration tests through ./scripts/test',
  );
}

const client = (url = baseUrl, timeoutMs = 5000) =>
  new MlflowClient({
    server: {
      name: 'default',
      baseUrl: url,
      uiUrl: url,
      auth: { type: 'none' },
    },
    sign: createRequestSigner({ type: 'none' }),
    timeoutMs,
  });

// Against the real MLflow server that ./scripts/test started and seeded with the demo model.
describe('MlflowClient against a real MLflow server', () => {
  it('walks every run of an experiment page by page', async () => {
    const experiment = await client().getExperimentByName('demo-model');
    const all = await client().searchRuns({
      experimentIds: [experiment.experiment_id],
    });
    const walked: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await client().searchRuns({
        experimentIds: [experiment.experiment_id],
        maxResults: 1,
        pageToken,
      });
      expect(page.items.length).toBeLessThanOrEqual(1);
      walked.push(...page.items.map(r => r.info.run_id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(walked.sort()).toEqual(all.items.map(r => r.info.run_id).sort());
    expect(walked.length).toBeGreaterThanOrEqual(3);
  });

  it('finds versions, the champion alias, tags and metric history', async () => {
    const versions = await client().searchModelVersions({
      filter: "name='demo-model'",
      maxResults: 2,
      orderBy: ['version_number DESC'],
    });
    expect(versions.items.map(v => v.version)).toEqual(['3', '2']);
    expect(versions.nextPageToken).toBeDefined();
    const champion = await client().getModelVersionByAlias(
      'demo-model',
      'champion',
    );
    const model = await client().getRegisteredModel('demo-model');
    expect(model.aliases).toContainEqual({
      alias: 'champion',
      version: champion.version,
    });
    const history = await client().getMetricHistory(
      champion.run_id!,
      'accuracy',
    );
    expect(history[0].value).toBeGreaterThan(0.9);
    const sample = JSON.parse(
      (
        await client().downloadArtifact(
          champion.run_id!,
          'validation/validation_sample.json',
        )
      ).toString(),
    );
    expect(sample.labels.length).toBe(sample.data.length);
  });

  it('turns "does not exist" into NotFoundError and an unreachable server into UpstreamError', async () => {
    await expect(
      client().getRegisteredModel('no-such-model'),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(
      client('http://127.0.0.1:9').getRegisteredModel('demo-model'),
    ).rejects.toMatchObject({
      name: 'UpstreamError',
      message: expect.stringContaining('cannot be reached'),
    });
  });
});

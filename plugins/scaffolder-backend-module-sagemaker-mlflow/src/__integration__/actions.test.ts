import {
  CreateModelPackageGroupCommand,
  DescribeModelPackageGroupCommand,
  ListTagsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { ConfigReader } from '@backstage/config';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  MlflowClients,
  readSageMakerMlflowConfig,
  SageMakerClients,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import Ajv from 'ajv';
import {
  createMlflowExperimentAction,
  createMlflowRegisteredModelAction,
} from '../actions/mlflowActions';
import { createModelPackageGroupAction } from '../actions/modelPackageGroupAction';

// Against the real MLflow server and the SageMaker emulator that ./scripts/test started.
const mlflowUrl = process.env.MODEL_FACTORY_TEST_MLFLOW_URL;
const sagemakerEndpoint = process.env.MODEL_FACTORY_TEST_SAGEMAKER_ENDPOINT;
if (!mlflowUrl || !sagemakerEndpoint) {
  throw new Error(
    'MODEL_FACTORY_TEST_MLFLOW_URL and _SAGEMAKER_ENDPOINT are not set: run through ./scripts/test',
  );
}
const root = new ConfigReader({
  aws: {
    accounts: [
      {
        accountId: '123456789012',
        accessKeyId: 'model-factory-local',
        secretAccessKey: 'model-factory-local',
      },
    ],
  },
  sagemakerMlflow: {
    sagemaker: { endpoint: sagemakerEndpoint },
    mlflow: { servers: [{ name: 'default', baseUrl: mlflowUrl }] },
  },
});
const settings = readSageMakerMlflowConfig(root);
const credentialsManager = DefaultAwsCredentialsManager.fromConfig(root);
const mlflow = new MlflowClients(settings);
const sagemaker = new SageMakerClients({
  credentialsManager,
  endpoint: sagemakerEndpoint,
  timeoutMs: 5000,
  invokeTimeoutMs: 5000,
});
const unique = `${Date.now().toString(36)}-${process.pid}`;
// The mock context ignores isDryRun among its options; set it the way the scaffolder's dry-run does.
const dryRun = <T extends object>(input: T) =>
  Object.assign(createMockActionContext({ input: input as any }), {
    isDryRun: true,
  });

const readMlflow = (path: string) =>
  fetch(`${mlflowUrl}/api/2.0/mlflow/${path}`);
const inputErrors = (
  action: { schema?: { input?: unknown } },
  input: object,
) => {
  const validate = new Ajv({ strict: false }).compile(
    action.schema!.input as object,
  );
  validate(input);
  return (validate.errors ?? [])
    .map(e => `${e.instancePath} ${e.message}`)
    .join('; ');
};

describe('mlflow:experiment:create', () => {
  const action = createMlflowExperimentAction(mlflow);
  const name = `experiment-${unique}`;

  it('does nothing in a dry run', async () => {
    await action.handler(dryRun({ name, trackingServer: 'default', tags: {} }));
    expect(
      (await readMlflow(`experiments/get-by-name?experiment_name=${name}`))
        .status,
    ).toBe(404);
  });

  it('creates the experiment, and a re-run reuses it', async () => {
    const first = createMockActionContext({
      input: { name, trackingServer: 'default', tags: { team: 'ml' } },
    });
    await action.handler(first);
    const created = await (
      await readMlflow(`experiments/get-by-name?experiment_name=${name}`)
    ).json();
    expect(first.output).toHaveBeenCalledWith(
      'experimentId',
      created.experiment.experiment_id,
    );
    expect(first.output).toHaveBeenCalledWith('created', true);

    const again = createMockActionContext({
      input: { name, trackingServer: 'default', tags: {} },
    });
    await action.handler(again);
    expect(again.output).toHaveBeenCalledWith(
      'experimentId',
      created.experiment.experiment_id,
    );
    expect(again.output).toHaveBeenCalledWith('created', false);
  });

  it('refuses a URL for the tracking server, naming the field', () => {
    expect(
      inputErrors(action, { name, trackingServer: 'http://169.254.169.254' }),
    ).toContain('/trackingServer');
  });
});

describe('mlflow:registered-model:create', () => {
  const action = createMlflowRegisteredModelAction(mlflow);
  const name = `model-${unique}`;

  it('creates the model, reuses it on a re-run, and refuses a conflicting description', async () => {
    const dry = dryRun({ name, trackingServer: 'default', tags: {} });
    await action.handler(dry);
    expect(
      (await readMlflow(`registered-models/get?name=${name}`)).status,
    ).toBe(404);

    const input = {
      name,
      description: 'Predicts churn',
      trackingServer: 'default',
      tags: {},
    };
    const first = createMockActionContext({ input });
    await action.handler(first);
    expect(
      (await (await readMlflow(`registered-models/get?name=${name}`)).json())
        .registered_model.description,
    ).toBe('Predicts churn');
    expect(first.output).toHaveBeenCalledWith('created', true);

    const again = createMockActionContext({ input });
    await action.handler(again);
    expect(again.output).toHaveBeenCalledWith('created', false);

    await expect(
      action.handler(
        createMockActionContext({
          input: { ...input, description: 'Something else' },
        }),
      ),
    ).rejects.toThrow(/already exists with another description/);
  });
});

describe('binding what the template creates to its component', () => {
  const OURS = 'component:default/churn-model';
  const THEIRS = 'component:default/fraud-model';
  const registeredModel = createMlflowRegisteredModelAction(mlflow);
  const experiment = createMlflowExperimentAction(mlflow);
  const group = createModelPackageGroupAction(sagemaker);
  const tagOf = async (path: string, key: string) =>
    ((await (await readMlflow(path)).json())[key].tags ?? []).find(
      (t: any) => t.key === 'backstage.io/entity-ref',
    )?.value;

  it('tags a new registered model and experiment with the entity ref, and a re-run by the same entity reuses them', async () => {
    const name = `bound-${unique}`;
    for (const action of [registeredModel, experiment] as any[]) {
      await action.handler(
        createMockActionContext({ input: { name, entityRef: OURS } }),
      );
      const again = createMockActionContext({
        input: { name, entityRef: OURS },
      });
      await action.handler(again);
      expect(again.output).toHaveBeenCalledWith('created', false);
    }
    expect(
      await tagOf(`registered-models/get?name=${name}`, 'registered_model'),
    ).toBe(OURS);
    expect(
      await tagOf(
        `experiments/get-by-name?experiment_name=${name}`,
        'experiment',
      ),
    ).toBe(OURS);
  });

  it("refuses to reuse another entity's registered model or experiment, and leaves its tag alone", async () => {
    const name = `theirs-${unique}`;
    for (const action of [registeredModel, experiment] as any[]) {
      await action.handler(
        createMockActionContext({ input: { name, entityRef: THEIRS } }),
      );
      await expect(
        action.handler(
          createMockActionContext({ input: { name, entityRef: OURS } }),
        ),
      ).rejects.toThrow(
        `already exists and is bound to '${THEIRS}' (its backstage.io/entity-ref tag): choose another name`,
      );
    }
    expect(
      await tagOf(`registered-models/get?name=${name}`, 'registered_model'),
    ).toBe(THEIRS);
  });

  it("tags a new model package group, refuses another entity's, and reuses an unbound one without claiming it", async () => {
    const direct = new SageMakerClient({
      endpoint: sagemakerEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const tags = async (name: string) =>
      (
        await direct.send(
          new ListTagsCommand({
            ResourceArn: `arn:aws:sagemaker:us-east-1:123456789012:model-package-group/${name}`,
          }),
        )
      ).Tags;
    const input = (name: string, entityRef: string) => ({
      accountId: '123456789012',
      region: 'us-east-1',
      name,
      entityRef,
    });
    const ours = `bound-group-${unique}`;
    await group.handler(createMockActionContext({ input: input(ours, OURS) }));
    expect(await tags(ours)).toEqual([
      { Key: 'backstage.io/entity-ref', Value: OURS },
    ]);
    await expect(
      group.handler(createMockActionContext({ input: input(ours, THEIRS) })),
    ).rejects.toThrow(`is bound to '${OURS}'`);

    // A team's existing group without the tag: reused, but binding it is for someone who may tag it.
    const existing = `unbound-group-${unique}`;
    await direct.send(
      new CreateModelPackageGroupCommand({ ModelPackageGroupName: existing }),
    );
    const reuse = createMockActionContext({ input: input(existing, OURS) });
    await group.handler(reuse);
    expect(reuse.output).toHaveBeenCalledWith('created', false);
    expect(await tags(existing)).toEqual([]);
  });

  it('refuses an entity ref that is not a full ref, naming the field', () => {
    expect(
      inputErrors(registeredModel, { name: 'x', entityRef: 'churn-model' }),
    ).toContain('/entityRef');
  });
});

describe('sagemaker:model-package-group:create', () => {
  const action = createModelPackageGroupAction(sagemaker);
  const name = `group-${unique}`;
  const direct = new SageMakerClient({
    endpoint: sagemakerEndpoint,
    region: 'us-east-1',
    credentials: {
      accessKeyId: 'model-factory-local',
      secretAccessKey: 'model-factory-local',
    },
    maxAttempts: 1,
  });
  const input = {
    accountId: '123456789012',
    region: 'us-east-1',
    name,
    description: 'Churn model versions',
  };

  it('creates the group in the emulator, reuses it, and refuses a conflicting description', async () => {
    await action.handler(dryRun(input));
    await expect(
      direct.send(
        new DescribeModelPackageGroupCommand({ ModelPackageGroupName: name }),
      ),
    ).rejects.toThrow();

    const first = createMockActionContext({ input });
    await action.handler(first);
    const described = await direct.send(
      new DescribeModelPackageGroupCommand({ ModelPackageGroupName: name }),
    );
    expect(first.output).toHaveBeenCalledWith(
      'arn',
      described.ModelPackageGroupArn,
    );
    expect(first.output).toHaveBeenCalledWith('created', true);

    const again = createMockActionContext({ input });
    await action.handler(again);
    expect(again.output).toHaveBeenCalledWith('created', false);

    await expect(
      action.handler(
        createMockActionContext({ input: { ...input, description: 'other' } }),
      ),
    ).rejects.toThrow(/already exists with another description/);
  });

  it('refuses a description SageMaker would refuse (a newline) before creating anything', async () => {
    const multiline = { ...input, name: `${name}-nl`, description: 'a\nb' };
    await expect(
      action.handler(createMockActionContext({ input: multiline })),
    ).rejects.toThrow(/^description: description must be one line/);
    await expect(
      direct.send(
        new DescribeModelPackageGroupCommand({
          ModelPackageGroupName: multiline.name,
        }),
      ),
    ).rejects.toThrow();
  });

  it('rejects a bad account id, naming the field', () => {
    expect(inputErrors(action, { ...input, accountId: '12' })).toContain(
      '/accountId',
    );
  });
});

import { SageMakerClient } from '@aws-sdk/client-sagemaker';

/** The MLflow server, SageMaker emulator and demo model server that ./scripts/test started and seeded. */
export function testStack() {
  const need = (name: string) => {
    const value = process.env[name];
    if (!value) {
      throw new Error(
        `${name} is not set: run the integration tests through ./scripts/test, which starts the stack`,
      );
    }
    return value;
  };
  const sagemakerEndpoint = need('MODEL_FACTORY_TEST_SAGEMAKER_ENDPOINT');
  return {
    mlflowUrl: need('MODEL_FACTORY_TEST_MLFLOW_URL'),
    sagemakerEndpoint,
    modelUrl: need('MODEL_FACTORY_TEST_MODEL_URL'),
    sagemaker: new SageMakerClient({
      endpoint: sagemakerEndpoint,
      region: 'us-east-1',
      credentials: {
        accessKeyId: 'model-factory-local',
        secretAccessKey: 'model-factory-local',
      },
      maxAttempts: 1,
    }),
  };
}

export const ARN = {
  pipeline:
    'arn:aws:sagemaker:us-east-1:123456789012:pipeline/demo-model-pipeline',
  group:
    'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/demo-model',
  endpoint:
    'arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo-model-staging',
};

/** The annotations of the seeded demo component (dev/catalog/demo-model.yaml), for catalogs a test writes. */
export const DEMO_ANNOTATIONS = {
  'aws.amazon.com/sagemaker-pipeline-arn': ARN.pipeline,
  'aws.amazon.com/sagemaker-model-package-group-arn': ARN.group,
  'aws.amazon.com/sagemaker-endpoint-arns': ARN.endpoint,
  'mlflow.org/registered-model-name': 'demo-model',
  'mlflow.org/experiment-name': 'demo-model',
};

/** `aws` config for the emulator: one account with static keys (moto accepts any). */
export const emulatorAwsConfig = {
  accounts: [
    {
      accountId: '123456789012',
      accessKeyId: 'model-factory-local',
      secretAccessKey: 'model-factory-local',
    },
  ],
};

/** `catalog` config that ingests one file of entities of the given kinds. */
export const fileCatalogConfig = (target: string, kinds: string[]) => ({
  rules: [{ allow: kinds }],
  locations: [{ type: 'file', target }],
});

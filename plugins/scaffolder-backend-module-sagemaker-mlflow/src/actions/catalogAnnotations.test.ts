import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createCatalogAnnotationsAction } from './catalogAnnotations';

const input = {
  accountId: '123456789012',
  region: 'eu-west-1',
  pipelineName: 'churn-model',
  modelPackageGroupName: 'churn-model',
  endpointNames: ['churn-model-staging', 'churn-model-prod'],
  registeredModelName: 'churn-model',
  experimentName: 'churn-model',
  trackingServer: 'default',
};

describe('sagemaker-mlflow:catalog-annotations', () => {
  it('outputs the annotations that name the project resources', async () => {
    const ctx = createMockActionContext({ input });
    await createCatalogAnnotationsAction().handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('annotations', {
      'aws.amazon.com/sagemaker-pipeline-arn':
        'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn-model',
      'aws.amazon.com/sagemaker-model-package-group-arn':
        'arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/churn-model',
      'aws.amazon.com/sagemaker-endpoint-arns':
        'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn-model-staging,arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn-model-prod',
      'mlflow.org/registered-model-name': 'churn-model',
      'mlflow.org/experiment-name': 'churn-model',
      'mlflow.org/tracking-server': 'default',
    });
  });

  it('applies the defaults of the fields a template leaves out', async () => {
    const { endpointNames, trackingServer, ...required } = input;
    const ctx = createMockActionContext({ input: required as any });
    await createCatalogAnnotationsAction().handler(ctx);
    const [, annotations] = (ctx.output as jest.Mock).mock.calls[0];
    expect(annotations['mlflow.org/tracking-server']).toBe('default');
    expect(annotations).not.toHaveProperty(
      'aws.amazon.com/sagemaker-endpoint-arns',
    );
  });

  it("its handler answers bad input with the field's own message (the scaffolder stops it earlier, by the schema below)", async () => {
    const ctx = createMockActionContext({
      input: { ...input, trackingServer: 'http://169.254.169.254' },
    });
    await expect(createCatalogAnnotationsAction().handler(ctx)).rejects.toThrow(
      'trackingServer: trackingServer must be a server name from sagemakerMlflow.mlflow.servers, not a URL',
    );
  });

  it('declares a schema that rejects a URL as the tracking server', () => {
    const action = createCatalogAnnotationsAction();
    const schema = action.schema?.input as any;
    expect(schema.properties.trackingServer.pattern).toBeDefined();
    expect(
      new RegExp(schema.properties.trackingServer.pattern).test(
        'http://169.254.169.254',
      ),
    ).toBe(false);
  });
});

import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { readSageMakerMlflowConfig, SageMakerMlflowConfig } from './config';
import { MlflowClients } from './mlflow/MlflowClients';
import { EndpointInvoker } from './sagemaker/EndpointInvoker';
import { SageMakerClients } from './sagemaker/SageMakerClients';

/**
 * The `sagemakerMlflow` config and the upstream clients built from it: what the backend plugin, the scaffolder
 * module and the search module all use.
 *
 * @public
 */
export interface SageMakerMlflowClients {
  config: SageMakerMlflowConfig;
  sagemaker: SageMakerClients;
  mlflow: MlflowClients;
  invoker: EndpointInvoker;
}

/**
 * Reads the `sagemakerMlflow` block and builds the clients, with AWS credentials per account from the `aws`
 * block. What the default factory does; an adopter's own factory may call it and wrap the result.
 *
 * @public
 */
export function createSageMakerMlflowClients(
  rootConfig: Config,
): SageMakerMlflowClients {
  const config = readSageMakerMlflowConfig(rootConfig);
  const credentialsManager =
    DefaultAwsCredentialsManager.fromConfig(rootConfig);
  const sagemaker = new SageMakerClients({
    credentialsManager,
    endpoint: config.sagemakerEndpoint,
    timeoutMs: config.upstreamTimeoutMs,
    invokeTimeoutMs: config.invoke.timeoutMs,
    breaker: config.upstreamBreaker,
  });
  return {
    config,
    sagemaker,
    mlflow: new MlflowClients(config, credentialsManager),
    invoker: new EndpointInvoker({
      clients: sagemaker,
      routes: config.endpointRoutes,
      timeoutMs: config.invoke.timeoutMs,
      maxResponseBytes: config.limits.maxResponseBytes,
    }),
  };
}

/**
 * The one set of SageMaker and MLflow clients of the backend. Root-scoped: built once per process, so every plugin
 * and module shares the circuit breakers (an upstream the search collator found hung is left alone by the entity
 * routes too) and the cached per-account SDK clients. Replace it with `createServiceFactory({ service:
 * sagemakerMlflowClientsServiceRef, ... })` added to the backend.
 *
 * @public
 */
export const sagemakerMlflowClientsServiceRef =
  createServiceRef<SageMakerMlflowClients>({
    id: 'sagemaker-mlflow.clients',
    scope: 'root',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: { rootConfig: coreServices.rootConfig },
        factory: ({ rootConfig }) => createSageMakerMlflowClients(rootConfig),
      }),
  });

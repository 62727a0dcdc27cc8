import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  EndpointInvoker,
  MlflowClients,
  SageMakerClients,
  SageMakerMlflowConfig,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import type { ResourceBindings } from './bindings';
import type { UpstreamCache } from './UpstreamCache';

export interface ServiceDeps {
  logger: LoggerService;
  config: SageMakerMlflowConfig;
  sagemaker: SageMakerClients;
  mlflow: MlflowClients;
  invoker: EndpointInvoker;
  cache: UpstreamCache;
  bindings: ResourceBindings;
}

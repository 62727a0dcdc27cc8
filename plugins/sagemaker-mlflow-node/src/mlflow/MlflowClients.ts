import { InputError } from '@backstage/errors';
import type { AwsCredentialsManager } from '@backstage/integration-aws-node';
import type { SageMakerMlflowConfig } from '../config';
import { CircuitBreaker } from '../faults/CircuitBreaker';
import { MlflowClient } from './MlflowClient';
import { createRequestSigner } from './requestSigner';

/** The configured tracking servers by name; an entity names a server, never a URL. */
export class MlflowClients {
  private readonly clients: Map<string, MlflowClient>;
  private readonly trackingUris: Map<string, string>;

  constructor(
    config: SageMakerMlflowConfig,
    credentialsManager?: AwsCredentialsManager,
  ) {
    this.trackingUris = new Map(
      config.mlflowServers.map(server => [
        server.name,
        server.auth.type === 'aws-sigv4'
          ? server.auth.trackingServerArn
          : server.baseUrl,
      ]),
    );
    this.clients = new Map(
      config.mlflowServers.map(server => [
        server.name,
        new MlflowClient({
          server,
          sign: createRequestSigner(server.auth, credentialsManager),
          timeoutMs: config.upstreamTimeoutMs,
          maxResponseBytes: config.limits.maxResponseBytes,
          maxApiResponseBytes: config.limits.maxMlflowResponseBytes,
          breaker: new CircuitBreaker(
            `MLflow server '${server.name}'`,
            config.upstreamBreaker,
          ),
        }),
      ]),
    );
  }

  forServer(name: string): MlflowClient {
    const client = this.clients.get(name);
    if (!client) {
      throw new InputError(
        `MLflow tracking server '${name}' is not configured (sagemakerMlflow.mlflow.servers lists: ${
          [...this.clients.keys()].join(', ') || 'none'
        })`,
      );
    }
    return client;
  }

  /**
   * What MLflow's own clients use as MLFLOW_TRACKING_URI for a server: the tracking server's ARN for managed
   * SageMaker MLflow (with the sagemaker-mlflow plugin), else its URL. Never holds a credential.
   */
  trackingUriOf(name: string): string {
    this.forServer(name);
    return this.trackingUris.get(name)!;
  }
}

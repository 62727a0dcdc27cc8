import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

export type MlflowAuthConfig =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | { type: 'aws-sigv4'; trackingServerArn: string; region?: string };

export interface MlflowServerConfig {
  name: string;
  baseUrl: string;
  uiUrl: string;
  auth: MlflowAuthConfig;
}

export interface SageMakerMlflowConfig {
  /** Override of the SageMaker API endpoint: only for an emulator. */
  sagemakerEndpoint?: string;
  mlflowServers: MlflowServerConfig[];
  /** Endpoint name → MLflow-protocol HTTP server that answers its invocations. */
  endpointRoutes: Map<string, string>;
  cacheTtlSeconds: number;
  invoke: { maxPayloadBytes: number; timeoutMs: number };
  /** Timeout of one upstream (SageMaker or MLflow) call. */
  upstreamTimeoutMs: number;
  /** Reads too need the resource's binding tag (writes always do). */
  requireBindingForReads: boolean;
}

function readAuth(config: Config | undefined): MlflowAuthConfig {
  const type = config?.getOptionalString('type') ?? 'none';
  switch (type) {
    case 'none':
      return { type };
    case 'basic':
      return {
        type,
        username: config!.getString('username'),
        password: config!.getString('password'),
      };
    case 'bearer':
      return { type, token: config!.getString('token') };
    case 'aws-sigv4':
      return {
        type,
        trackingServerArn: config!.getString('trackingServerArn'),
        region: config!.getOptionalString('region'),
      };
    default:
      throw new InputError(
        `sagemakerMlflow.mlflow.servers[].auth.type '${type}' is not one of none, basic, bearer, aws-sigv4`,
      );
  }
}

/** Reads the `sagemakerMlflow` config block (DESIGN §5), with the documented defaults. */
export function readSageMakerMlflowConfig(root: Config): SageMakerMlflowConfig {
  const config = root.getOptionalConfig('sagemakerMlflow');
  const servers = (config?.getOptionalConfigArray('mlflow.servers') ?? []).map(
    server => {
      const baseUrl = server.getString('baseUrl').replace(/\/+$/, '');
      // The URL reaches browsers (as the UI link) and generated repositories: a password in it would too.
      if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(baseUrl)) {
        throw new Error(
          `sagemakerMlflow.mlflow.servers[].baseUrl of '${server.getString(
            'name',
          )}' carries credentials: put them in auth (basic or bearer) instead`,
        );
      }
      return {
        name: server.getString('name'),
        baseUrl,
        uiUrl: (server.getOptionalString('uiUrl') ?? baseUrl).replace(
          /\/+$/,
          '',
        ),
        auth: readAuth(server.getOptionalConfig('auth')),
      };
    },
  );
  const routes = new Map(
    (config?.getOptionalConfigArray('endpointRoutes') ?? []).map(route => [
      route.getString('endpointName'),
      route.getString('url').replace(/\/+$/, ''),
    ]),
  );
  return {
    sagemakerEndpoint: config?.getOptionalString('sagemaker.endpoint'),
    mlflowServers: servers,
    endpointRoutes: routes,
    cacheTtlSeconds: config?.getOptionalNumber('cache.ttlSeconds') ?? 30,
    invoke: {
      maxPayloadBytes:
        config?.getOptionalNumber('invoke.maxPayloadBytes') ?? 6 * 1024 * 1024,
      timeoutMs: config?.getOptionalNumber('invoke.timeoutMs') ?? 30_000,
    },
    upstreamTimeoutMs: config?.getOptionalNumber('upstreamTimeoutMs') ?? 10_000,
    requireBindingForReads:
      config?.getOptionalBoolean('binding.requireForReads') ?? false,
  };
}

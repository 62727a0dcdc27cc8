import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { parseSageMakerArn } from './arn';

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
  /** Endpoint ARN (account, region and name) → MLflow-protocol HTTP server that answers its invocations. */
  endpointRoutes: Map<string, string>;
  cacheTtlSeconds: number;
  invoke: { maxPayloadBytes: number; timeoutMs: number };
  /** Largest upstream answer read into memory: a model endpoint's answer, a logged validation sample. */
  limits: { maxResponseBytes: number; maxMlflowResponseBytes: number };
  /** Timeout of one upstream (SageMaker or MLflow) call. */
  upstreamTimeoutMs: number;
  /** Reads too need the resource's binding tag (writes always do). */
  requireBindingForReads: boolean;
  /**
   * How long an endpoint's binding, once read as bound, lets invocations through without reading the tag again
   * (0: read it on every invocation). Never for writes that change state; never for a refusal.
   */
  bindingInvokeCacheSeconds: number;
  /** Subjects of the service principals that may write (`plugin:<id>`, an external token's subject). */
  servicePrincipals: string[];
  /** The overall deadline of one HTTP request to the backend: no upstream call it makes waits longer. */
  requestTimeoutMs: number;
  /** When an upstream that stopped answering is left alone (see CircuitBreaker). */
  upstreamBreaker: { failures: number; coolDownMs: number };
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

/** SageMaker's own InvokeEndpoint answer limit. */
export const DEFAULT_MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
/** MLflow API answers: a page of 1,000 runs with their params and metrics fits well within it. */
export const DEFAULT_MAX_MLFLOW_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * A route's endpoint, by full ARN: an endpoint name alone is not unique (any account and region may have one
 * of that name), and a route matched by name would answer for all of them.
 */
function readRouteArn(route: Config): string {
  const arn = route.getOptionalString('endpointArn');
  if (!arn) {
    const name = route.getOptionalString('endpointName');
    throw new Error(
      `sagemakerMlflow.endpointRoutes[]${
        name ? ` '${name}'` : ''
      } has no endpointArn: a route names the endpoint by its full ARN (arn:aws:sagemaker:<region>:<account>:endpoint/<name>), since the same endpoint name may exist in any account and region`,
    );
  }
  try {
    return parseSageMakerArn(arn, 'endpoint').arn;
  } catch (error) {
    throw new Error(
      `sagemakerMlflow.endpointRoutes[].endpointArn: ${
        (error as Error).message
      }`,
    );
  }
}

/**
 * A number the block may set, else its default. Zero or less would switch a limit or timeout into refusing
 * everything (a deadline of 0 ms fails every request), so it stops the start-up with the key to fix.
 */
function positive(
  config: Config | undefined,
  key: string,
  fallback: number,
): number {
  const value = config?.getOptionalNumber(key);
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new Error(
      `sagemakerMlflow.${key} must be a number above 0, got ${value}`,
    );
  }
  return value;
}

/** A number the block may set, else its default; 0 is allowed (it switches something off), below 0 is not. */
function zeroOrMore(
  config: Config | undefined,
  key: string,
  fallback: number,
): number {
  const value = config?.getOptionalNumber(key);
  if (value === undefined) return fallback;
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new Error(
      `sagemakerMlflow.${key} must be a number of 0 or more, got ${value}`,
    );
  }
  return value;
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
      readRouteArn(route),
      route.getString('url').replace(/\/+$/, ''),
    ]),
  );
  return {
    sagemakerEndpoint: config?.getOptionalString('sagemaker.endpoint'),
    mlflowServers: servers,
    endpointRoutes: routes,
    cacheTtlSeconds: positive(config, 'cache.ttlSeconds', 30),
    invoke: {
      maxPayloadBytes: positive(
        config,
        'invoke.maxPayloadBytes',
        6 * 1024 * 1024,
      ),
      timeoutMs: positive(config, 'invoke.timeoutMs', 30_000),
    },
    upstreamTimeoutMs: positive(config, 'upstreamTimeoutMs', 10_000),
    limits: {
      maxResponseBytes: positive(
        config,
        'limits.maxResponseBytes',
        DEFAULT_MAX_RESPONSE_BYTES,
      ),
      maxMlflowResponseBytes: positive(
        config,
        'limits.maxMlflowResponseBytes',
        DEFAULT_MAX_MLFLOW_RESPONSE_BYTES,
      ),
    },
    requireBindingForReads:
      config?.getOptionalBoolean('binding.requireForReads') ?? false,
    bindingInvokeCacheSeconds: zeroOrMore(
      config,
      'binding.invokeCacheSeconds',
      30,
    ),
    servicePrincipals:
      config?.getOptionalStringArray('permissions.servicePrincipals') ?? [],
    requestTimeoutMs: positive(config, 'requestTimeoutMs', 10_000),
    upstreamBreaker: {
      failures: positive(config, 'upstreamBreaker.failures', 3),
      coolDownMs:
        positive(config, 'upstreamBreaker.coolDownSeconds', 30) * 1000,
    },
  };
}

import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListTagsCommand,
} from '@aws-sdk/client-sagemaker';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type {
  Endpoint,
  EndpointExample,
  EndpointsResponse,
  InvocationResult,
  ResourceBinding,
  ValidationResult,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  ANNOTATION_ENDPOINT_ARNS,
  ANNOTATION_REGISTERED_MODEL_NAME,
  META_MODEL_VERSION,
  META_REGISTERED_MODEL_NAME,
  TAG_VALIDATION_PREFIX,
  VALIDATION_SAMPLE_ARTIFACT,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  awsCall,
  championVersion,
  evaluateBinding,
  explainBinding,
  SageMakerArn,
  sagemakerBindingTags,
  unknownBinding,
  UpstreamError,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { endpointConsoleUrl } from './consoleUrls';
import { EntityContext, required } from './EntityContext';
import { mayCache, settle } from './sections';
import type { ServiceDeps } from './types';

const EXAMPLE_ROWS = 3;
// A config cannot change; deleted and made again under its name it can: an hour bounds that.
const ENDPOINT_CONFIG_TTL_MS = 3600_000;

export interface ValidationSample {
  columns: string[];
  data: unknown[][];
  labels: number[];
}

/** The endpoints of one entity: status, variants, deployed version; invocations and validation. */
export class Endpoints {
  constructor(private readonly deps: ServiceDeps) {}

  /** The annotated endpoint with this name; any other name is not this entity's endpoint. */
  endpoint(ctx: EntityContext, name: string): SageMakerArn {
    const endpoint = required(
      ctx.binding.endpoints,
      ANNOTATION_ENDPOINT_ARNS,
    ).find(e => e.resourceName === name);
    if (!endpoint)
      throw new NotFoundError(
        `Endpoint '${name}' is not one of this entity's endpoints`,
      );
    return endpoint;
  }

  /** Each annotated endpoint, loaded (and failing) on its own. */
  async list(ctx: EntityContext): Promise<EndpointsResponse> {
    const endpoints = required(ctx.binding.endpoints, ANNOTATION_ENDPOINT_ARNS);
    const key = `endpoints:${endpoints.map(e => e.arn).join(',')}`;
    // A description without its config (that call failed) is served, not kept.
    let whole = true;
    return this.deps.cache.get(
      ctx.entityRef,
      key,
      async () => ({
        items: await Promise.all(
          endpoints.map(async arn => {
            const item = { name: arn.resourceName, arn: arn.arn };
            let binding: ResourceBinding | undefined;
            const endpoint = await settle(async () => {
              const described = await this.describe(ctx, arn);
              binding = described.binding;
              whole &&= described.whole;
              if (
                this.deps.config.requireBindingForReads &&
                binding.state !== 'bound'
              ) {
                throw new NotAllowedError(
                  `This portal shows only resources bound to their entity (sagemakerMlflow.binding.requireForReads). ${explainBinding(
                    binding,
                  )}`,
                );
              }
              return described.endpoint;
            }, this.deps.logger);
            return { ...item, endpoint, ...(binding ? { binding } : {}) };
          }),
        ),
      }),
      {
        cacheable: ({ items }) =>
          whole &&
          mayCache(...items.map(i => i.endpoint)) &&
          items.every(i => i.binding?.state !== 'unknown'),
      },
    );
  }

  /** The endpoint, its config's variants, the version its tags say it serves and its binding (same tags). */
  private async describe(
    ctx: EntityContext,
    arn: SageMakerArn,
  ): Promise<{ endpoint: Endpoint; binding: ResourceBinding; whole: boolean }> {
    const sm = await this.deps.sagemaker.sagemaker(arn);
    const [described, tags] = await Promise.all([
      awsCall('SageMaker DescribeEndpoint', () =>
        sm.send(
          new DescribeEndpointCommand({ EndpointName: arn.resourceName }),
        ),
      ),
      settle(
        () =>
          awsCall('SageMaker ListTags', () =>
            sm.send(new ListTagsCommand({ ResourceArn: arn.arn })),
          ),
        this.deps.logger,
      ),
    ]);
    const tagMap = Object.fromEntries(
      (tags.data?.Tags ?? []).map(t => [t.Key, t.Value]),
    );
    const binding = tags.data
      ? evaluateBinding(
          'endpoint',
          arn.arn,
          ctx.entityRef,
          sagemakerBindingTags(tags.data.Tags),
        )
      : unknownBinding('endpoint', arn.arn, tags.error!.message);
    // The endpoint config says which model and instance type each variant runs. A config cannot be changed, only
    // replaced by another of another name: it is a fact, kept across entities and writes.
    const config = await this.deps.cache
      .fact(
        `endpoint-config:${arn.partition}:${arn.accountId}:${arn.region}:${described.EndpointConfigName}`,
        () =>
          awsCall('SageMaker DescribeEndpointConfig', () =>
            sm.send(
              new DescribeEndpointConfigCommand({
                EndpointConfigName: described.EndpointConfigName,
              }),
            ),
          ).then(c => ({
            ProductionVariants: (c.ProductionVariants ?? []).map(v => ({
              VariantName: v.VariantName,
              ModelName: v.ModelName,
              InstanceType: v.InstanceType,
            })),
          })),
        ENDPOINT_CONFIG_TTL_MS,
      )
      .catch(() => undefined);
    const configured = new Map(
      (config?.ProductionVariants ?? []).map(v => [v.VariantName, v]),
    );
    const endpoint: Endpoint = {
      name: arn.resourceName,
      arn: arn.arn,
      status: described.EndpointStatus ?? 'Unknown',
      failureReason: described.FailureReason,
      createdAt: described.CreationTime?.toISOString(),
      lastModifiedAt: described.LastModifiedTime?.toISOString(),
      variants: (described.ProductionVariants ?? []).map(v => ({
        name: v.VariantName ?? '',
        modelName: configured.get(v.VariantName)?.ModelName,
        instanceType: configured.get(v.VariantName)?.InstanceType,
        currentInstanceCount: v.CurrentInstanceCount,
        currentWeight: v.CurrentWeight,
      })),
      ...(tagMap[META_REGISTERED_MODEL_NAME] && tagMap[META_MODEL_VERSION]
        ? {
            deployedVersion: {
              modelName: tagMap[META_REGISTERED_MODEL_NAME]!,
              version: tagMap[META_MODEL_VERSION]!,
            },
          }
        : {}),
      consoleUrl: endpointConsoleUrl(arn),
    };
    return { endpoint, binding, whole: config !== undefined };
  }

  async invoke(
    ctx: EntityContext,
    name: string,
    body: Buffer,
    contentType: string,
  ): Promise<InvocationResult> {
    const endpoint = this.endpoint(ctx, name);
    await this.deps.bindings.requireForInvocation(ctx, {
      kind: 'endpoint',
      arn: endpoint,
    });
    const res = await this.deps.invoker.invoke(endpoint, body, contentType);
    const text = res.body.toString('utf8');
    let parsed: unknown = text;
    if (res.contentType.includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep the text
      }
    }
    return {
      endpointName: name,
      statusCode: res.statusCode,
      contentType: res.contentType,
      latencyMs: Math.round(res.latencyMs * 10) / 10,
      body: parsed,
    };
  }

  /**
   * Sends the validation sample of the version the endpoint serves (or the champion) through the endpoint and
   * compares its predictions with the true labels.
   */
  async validate(ctx: EntityContext, name: string): Promise<ValidationResult> {
    const endpoint = this.endpoint(ctx, name);
    // The model's validation sample is sent to the endpoint: both must name this entity, or an entity could
    // send another team's data to an endpoint of its own.
    await this.deps.bindings.requireForWrite(
      ctx,
      { kind: 'endpoint', arn: endpoint },
      { kind: 'registered-model', name: this.modelName(ctx) },
    );
    const { version, sample } = await this.servedSample(ctx, endpoint);
    const payload = Buffer.from(
      JSON.stringify({
        dataframe_split: { columns: sample.columns, data: sample.data },
      }),
    );
    const res = await this.deps.invoker.invoke(
      endpoint,
      payload,
      'application/json',
    );
    const predictions = parsePredictions(res.body, sample.labels.length);
    const correct = predictions.filter((p, i) => p === sample.labels[i]).length;
    const result = {
      endpointName: name,
      modelVersion: version,
      rows: sample.labels.length,
      labels: sample.labels,
      predictions,
      accuracy: correct / sample.labels.length,
      latencyMs: Math.round(res.latencyMs * 10) / 10,
    };
    await this.recordValidation(ctx, result);
    return result;
  }

  /**
   * Records the result on the version as its `validation.<endpointName>` tag, where the version timeline reads it
   * (the project's validate_endpoint writes the same). The model is bound to the entity (checked above); a failure
   * to record loses the record, not the validation the caller asked for.
   */
  private async recordValidation(ctx: EntityContext, result: ValidationResult) {
    const mlflow = this.deps.mlflow.forServer(ctx.binding.trackingServer);
    const record = {
      accuracy: result.accuracy,
      rows: result.rows,
      latencyMs: result.latencyMs,
      at: new Date().toISOString(),
    };
    await mlflow
      .setModelVersionTag(
        this.modelName(ctx),
        result.modelVersion!,
        `${TAG_VALIDATION_PREFIX}${result.endpointName}`,
        JSON.stringify(record),
      )
      .then(() => this.deps.cache.invalidate(ctx.entityRef))
      .catch(error =>
        this.deps.logger.warn(
          `Could not record the validation of ${result.endpointName} on version ${result.modelVersion}`,
          error,
        ),
      );
  }

  /** A request the endpoint accepts, in JSON and CSV: the first rows of the served version's validation sample. */
  async example(ctx: EntityContext, name: string): Promise<EndpointExample> {
    const endpoint = this.endpoint(ctx, name);
    const modelName = this.modelName(ctx);
    await Promise.all([
      this.deps.bindings.requireForRead(ctx, {
        kind: 'endpoint',
        arn: endpoint,
      }),
      this.deps.bindings.requireForRead(ctx, {
        kind: 'registered-model',
        name: modelName,
      }),
    ]);
    const key = `example:${endpoint.arn}:${ctx.binding.trackingServer}:${modelName}`;
    // An example of the champion's, because the endpoint could not be described, is served, not kept.
    let whole = false;
    return this.deps.cache.get(
      ctx.entityRef,
      key,
      async () => {
        const { version, sample, described } = await this.servedSample(
          ctx,
          endpoint,
        );
        whole = described;
        const rows = sample.data.slice(0, EXAMPLE_ROWS);
        return {
          endpointName: name,
          modelVersion: version,
          json: JSON.stringify(
            { dataframe_split: { columns: sample.columns, data: rows } },
            null,
            2,
          ),
          csv: [
            sample.columns.join(','),
            ...rows.map(row => row.join(',')),
          ].join('\n'),
          labels: sample.labels.slice(0, EXAMPLE_ROWS),
        };
      },
      { cacheable: () => whole },
    );
  }

  /** The validation sample logged by the version the endpoint serves (by its tags), else by the champion. */
  private modelName(ctx: EntityContext) {
    return required(
      ctx.binding.registeredModelName,
      ANNOTATION_REGISTERED_MODEL_NAME,
    );
  }

  private async servedSample(ctx: EntityContext, endpoint: SageMakerArn) {
    const modelName = this.modelName(ctx);
    const mlflow = this.deps.mlflow.forServer(ctx.binding.trackingServer);
    let described = true;
    const deployed = await this.describe(ctx, endpoint)
      .then(e => e.endpoint.deployedVersion)
      .catch(() => {
        described = false;
        return undefined;
      });
    const version =
      deployed && deployed.modelName === modelName
        ? await mlflow.getModelVersion(modelName, deployed.version)
        : await championVersion(mlflow, modelName);
    if (!version) {
      throw new NotFoundError(
        `${modelName} has no champion (no champion alias, no version in stage Production)`,
      );
    }
    if (!version.run_id) {
      throw new NotFoundError(
        `Version ${version.version} of ${modelName} has no source run`,
      );
    }
    const sample = parseSample(
      await mlflow.downloadArtifact(version.run_id, VALIDATION_SAMPLE_ARTIFACT),
    );
    return { version: version.version, sample, described };
  }
}

/** The run's logged sample; a malformed one is the training code's fault (502), not the caller's. */
export function parseSample(raw: Buffer): ValidationSample {
  let sample: any;
  try {
    sample = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new UpstreamError(
      'MLflow',
      `${VALIDATION_SAMPLE_ARTIFACT} is not JSON`,
    );
  }
  if (
    !sample ||
    !Array.isArray(sample.columns) ||
    !Array.isArray(sample.data) ||
    !Array.isArray(sample.labels) ||
    sample.data.length !== sample.labels.length
  ) {
    throw new UpstreamError(
      'MLflow',
      `${VALIDATION_SAMPLE_ARTIFACT} must hold columns, data and one label per row`,
    );
  }
  return sample;
}

export function parsePredictions(body: Buffer, rows: number): number[] {
  let parsed: any;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new UpstreamError(
      'endpoint',
      'answered with something other than JSON predictions',
    );
  }
  const list = Array.isArray(parsed) ? parsed : parsed?.predictions;
  if (!Array.isArray(list) || list.length !== rows) {
    throw new UpstreamError(
      'endpoint',
      `returned ${
        Array.isArray(list) ? list.length : 'no'
      } predictions for ${rows} rows`,
    );
  }
  return list.map((p: unknown) => Number(Array.isArray(p) ? p[0] : p));
}

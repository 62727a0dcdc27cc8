import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type {
  ComparedChampion,
  ComparedValidation,
  GateUsed,
  MetricComparison,
  Section,
  SectionErrorCode,
  VersionComparison,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  KEY_METRICS,
  VALIDATION_SAMPLE_ARTIFACT,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  beforeDeadline,
  championOf,
  executionOfRun,
  metricsOf,
  mlflowFilterLiteral,
  MlflowClient,
  MlflowModelVersion,
  MlflowRun,
  tagsOf,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { mlflowRunUrl } from './consoleUrls';
import { EntityContext } from './EntityContext';
import {
  Endpoints,
  parsePredictions,
  parseSample,
  ValidationSample,
} from './endpoints';
import { experimentIdOf } from './experiments';
import { allParameters } from './pipelines/executionListings';
import { settle } from './sections';
import { modelForVersionRead } from './modelVersionAccess';
import type { ServiceDeps } from './types';

/** The version tags the template's register step writes: the gate the execution applied. */
export const TAG_GATE_METRIC = 'gate_metric';
export const TAG_GATE_THRESHOLD = 'gate_threshold';
/** The template pipeline's parameter for the gate's threshold. */
export const GATE_THRESHOLD_PARAMETER = 'GateThreshold';

const numberOf = (value: string | undefined) => {
  const n = value === undefined || value === '' ? NaN : Number(value);
  return Number.isFinite(n) ? n : undefined;
};

/** Section failures an upstream caused: an answer holding one is served, not kept (the next may be whole). */
const PASSING: ReadonlySet<SectionErrorCode> = new Set<SectionErrorCode>([
  'throttled',
  'timeout',
  'unavailable',
  'upstream',
  'internal',
  'missing-credentials',
  'access-denied',
  'unknown-region',
]);

/** A compact record of a comparison, for the approval's audit record. */
export interface ComparisonSummary {
  candidateVersion: string;
  championVersion?: string;
  champion: string;
  metrics?: Record<
    string,
    { candidate?: number; champion?: number; delta?: number }
  >;
  gate?: Omit<GateUsed, 'executionParameters'>;
  validation: { candidate: string | number; champion: string | number };
  unavailable?: string[];
}

/**
 * A candidate version beside the model's champion: the metrics of both source runs, the gate the candidate's
 * execution used, and the candidate's validation sample run through whichever of the entity's endpoints serves
 * each version. Each part loads, and fails, on its own; nothing is deployed to compare.
 */
export class VersionComparisons {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly endpoints: Endpoints,
  ) {}

  /**
   * `mayInvoke`: whether the caller may invoke the entity's endpoints (sagemaker-mlflow.endpoint.invoke); without
   * it the validation parts say so, and nothing is sent. Part of the cache key: what one caller sees, another may not.
   */
  async compare(
    ctx: EntityContext,
    version: string,
    mayInvoke: boolean,
  ): Promise<VersionComparison> {
    const { modelName, client } = await modelForVersionRead(
      this.deps,
      ctx,
      version,
    );
    let keep = false;
    return this.deps.cache.get(
      ctx.entityRef,
      `comparison:${ctx.binding.trackingServer}:${modelName}:${version}:${
        mayInvoke ? 'invoke' : 'read'
      }`,
      async () => {
        const result = await this.load(
          ctx,
          client,
          modelName,
          version,
          mayInvoke,
        );
        keep = [
          result.champion,
          result.metrics,
          result.gate,
          result.validation.candidate,
          result.validation.champion,
        ].every(s => !s.error || !PASSING.has(s.error.code));
        return result;
      },
      { cacheable: () => keep },
    );
  }

  private async load(
    ctx: EntityContext,
    client: MlflowClient,
    modelName: string,
    version: string,
    mayInvoke: boolean,
  ): Promise<VersionComparison> {
    const { logger } = this.deps;
    // The candidate is the subject: without it there is nothing to compare (an unknown version is a 404).
    const championVersion = this.champion(client, modelName, version);
    championVersion.catch(() => {}); // the champion section reports it
    const candidate = await client.getModelVersion(modelName, version);
    const champion = await settle(
      () => championVersion.then(c => c.shown),
      logger,
    );
    const championMv = championVersion.then(c => c.version).catch(() => null);
    const experimentId = experimentIdOf(this.deps, ctx);
    const runs = this.runs(client, experimentId, [candidate, await championMv]);
    const candidateRun = runs.then(r => sourceRun(r, candidate));
    const championRun = runs.then(async r => {
      const mv = await championMv;
      return mv ? sourceRun(r, mv) : undefined;
    });
    // Each is read by the sections below, which report its failure.
    candidateRun.catch(() => {});
    championRun.catch(() => {});

    const [metrics, gate, validation, experiment] = await Promise.all([
      settle(
        async () =>
          compareMetrics(
            metricsOf(await candidateRun),
            (await championMv) ? metricsOf((await championRun)!) : {},
          ),
        logger,
      ),
      settle(() => this.gate(ctx, candidate, candidateRun), logger),
      this.validations(
        ctx,
        client,
        modelName,
        candidate,
        candidateRun,
        champion,
        mayInvoke,
      ),
      experimentId.catch(() => undefined),
    ]);
    const runUrl = (runId?: string) =>
      runId && experiment
        ? mlflowRunUrl(client.server.uiUrl, experiment, runId)
        : undefined;
    return {
      modelName,
      candidate: {
        version,
        ...(candidate.run_id
          ? { runId: candidate.run_id, runUrl: runUrl(candidate.run_id) }
          : {}),
      },
      champion: champion.data?.runId
        ? { data: { ...champion.data, runUrl: runUrl(champion.data.runId) } }
        : champion,
      metrics,
      gate,
      validation,
    };
  }

  /** The champion as shown, and its version when it is another version than the candidate. */
  private async champion(
    client: MlflowClient,
    modelName: string,
    candidate: string,
  ): Promise<{ shown: ComparedChampion; version: MlflowModelVersion | null }> {
    const found = championOf(await client.getRegisteredModel(modelName));
    if (!found) {
      return {
        shown: {
          state: 'none',
          message: `${modelName} has no champion (no champion alias, no version in stage Production): nothing to compare with`,
        },
        version: null,
      };
    }
    if (found.version === candidate) {
      return {
        shown: {
          state: 'is-candidate',
          version: candidate,
          by: found.by,
          message: `Version ${candidate} is the champion itself`,
        },
        version: null,
      };
    }
    const version = await client.getModelVersion(modelName, found.version);
    return {
      shown: {
        state: 'champion',
        version: found.version,
        by: found.by,
        ...(version.run_id ? { runId: version.run_id } : {}),
      },
      version,
    };
  }

  /**
   * The versions' source runs, with one search in the entity's own experiment: a version's run id is its claim, and
   * a run elsewhere is not read.
   */
  private async runs(
    client: MlflowClient,
    experimentId: Promise<string>,
    versions: Array<MlflowModelVersion | null>,
  ): Promise<Map<string, MlflowRun>> {
    const ids = [
      ...new Set(
        versions.map(v => v?.run_id).filter((id): id is string => Boolean(id)),
      ),
    ];
    if (ids.length === 0) return new Map();
    const found = await client.searchRuns({
      experimentIds: [await experimentId],
      filter: `attributes.run_id IN (${ids
        .map(mlflowFilterLiteral)
        .join(', ')})`,
      maxResults: ids.length,
    });
    return new Map(found.items.map(run => [run.info.run_id, run]));
  }

  /**
   * The gate the candidate's execution applied: the parameters of the execution that ran it (from its run's tag, and
   * only an execution of the entity's own pipeline), else the register step's version tags.
   */
  private async gate(
    ctx: EntityContext,
    candidate: MlflowModelVersion,
    candidateRun: Promise<MlflowRun>,
  ): Promise<GateUsed> {
    const run = await candidateRun.catch(() => undefined);
    return gateOf(
      tagsOf(candidate.tags),
      run ? metricsOf(run) : {},
      await this.executionParameters(ctx, run),
    );
  }

  private async executionParameters(
    ctx: EntityContext,
    run: MlflowRun | undefined,
  ): Promise<{ arn: string; parameters: Record<string, string> } | undefined> {
    const arn = run && executionOfRun(run);
    const pipeline = ctx.binding.pipeline;
    if (
      !arn ||
      pipeline.state !== 'bound' ||
      !arn.startsWith(`${pipeline.value.arn}/execution/`)
    )
      return undefined;
    // The parameters are extra evidence: the version tags alone still give the gate.
    return settle(async () => {
      await this.deps.bindings.requireForRead(ctx, {
        kind: 'pipeline',
        arn: pipeline.value,
      });
      const sm = await this.deps.sagemaker.sagemaker(pipeline.value);
      const parameters = await allParameters(sm, arn);
      return {
        arn,
        parameters: Object.fromEntries(
          parameters.map(p => [p.Name!, p.Value ?? '']),
        ),
      };
    }, this.deps.logger).then(s => s.data);
  }

  /** The candidate's validation sample through the endpoint serving each version; nothing is deployed for it. */
  private async validations(
    ctx: EntityContext,
    client: MlflowClient,
    modelName: string,
    candidate: MlflowModelVersion,
    candidateRun: Promise<MlflowRun>,
    champion: Section<ComparedChampion>,
    mayInvoke: boolean,
  ): Promise<VersionComparison['validation']> {
    const { logger } = this.deps;
    if (!mayInvoke) {
      const refused = await settle<ComparedValidation>(async () => {
        throw new NotAllowedError(
          `You may not use sagemaker-mlflow.endpoint.invoke on ${ctx.entityRef}: the validation sample was not sent`,
        );
      });
      return { candidate: refused, champion: refused };
    }
    const sample = validationSample(client, candidate, candidateRun);
    sample.catch(() => {}); // read by each side; unread when neither is served
    const serving = this.endpoints.list(ctx);
    const run = (version: string, role: string) =>
      settle(
        () => this.validate(ctx, modelName, version, role, sample, serving),
        logger,
      );
    const championSide = (): Promise<Section<ComparedValidation>> => {
      if (champion.data?.state === 'champion')
        return run(champion.data.version!, 'champion');
      return settle(async () => {
        throw new NotFoundError(
          champion.data?.message ?? 'The champion could not be read',
        );
      });
    };
    const [candidateSide, championResult] = await Promise.all([
      run(candidate.version, 'candidate'),
      championSide(),
    ]);
    return { candidate: candidateSide, champion: championResult };
  }

  private async validate(
    ctx: EntityContext,
    modelName: string,
    version: string,
    role: string,
    sample: Promise<ValidationSample>,
    serving: ReturnType<Endpoints['list']>,
  ): Promise<ComparedValidation> {
    const { items } = await serving;
    const item = items.find(i => {
      const deployed = i.endpoint.data?.deployedVersion;
      return deployed?.modelName === modelName && deployed.version === version;
    });
    if (!item) {
      throw new NotFoundError(
        `No serving endpoint for the ${role} (version ${version}): none of this entity's endpoints serves it`,
      );
    }
    const endpoint = this.endpoints.endpoint(ctx, item.name);
    // As the validation route: the model's sample goes to the endpoint only when both name this entity.
    await this.deps.bindings.requireForWrite(
      ctx,
      { kind: 'endpoint', arn: endpoint },
      { kind: 'registered-model', name: modelName },
    );
    const rows = await sample;
    const payload = Buffer.from(
      JSON.stringify({
        dataframe_split: { columns: rows.columns, data: rows.data },
      }),
    );
    // The invoker keeps its own, longer timeout: the comparison answers by the request's deadline regardless.
    const res = await beforeDeadline(
      `endpoint ${item.name}`,
      this.deps.invoker.invoke(endpoint, payload, 'application/json'),
    );
    const predictions = parsePredictions(res.body, rows.labels.length);
    const correct = predictions.filter((p, i) => p === rows.labels[i]).length;
    return {
      version,
      endpointName: item.name,
      rows: rows.labels.length,
      accuracy: correct / rows.labels.length,
      latencyMs: Math.round(res.latencyMs * 10) / 10,
    };
  }
}

/**
 * The candidate's validation sample, from its source run as found in the entity's experiment: the version's run id is
 * whatever its creator wrote, and may name another team's run.
 */
export async function validationSample(
  client: Pick<MlflowClient, 'downloadArtifact'>,
  candidate: MlflowModelVersion,
  candidateRun: Promise<MlflowRun>,
): Promise<ValidationSample> {
  if (!candidate.run_id) {
    throw new NotFoundError(
      `Version ${candidate.version} has no source run, so no validation sample`,
    );
  }
  const run = await candidateRun.catch((error: Error) => {
    throw error instanceof NotFoundError
      ? new NotFoundError(`${error.message}: its validation sample is not read`)
      : error;
  });
  return parseSample(
    await client.downloadArtifact(run.info.run_id, VALIDATION_SAMPLE_ARTIFACT),
  );
}

/**
 * The gate from the version's tags and its execution's parameters. The execution's GateThreshold is what the
 * condition step applied; the gate_threshold tag anyone who may write to MLflow can rewrite, so it counts only
 * without the parameter, and a tag that disagrees with it is named. The metric comes from the tag (the execution
 * has no parameter for it).
 */
export function gateOf(
  tags: Record<string, string>,
  metrics: Record<string, number>,
  execution: { arn: string; parameters: Record<string, string> } | undefined,
): GateUsed {
  const tagThreshold = numberOf(tags[TAG_GATE_THRESHOLD]);
  const parameterThreshold = numberOf(
    execution?.parameters[GATE_THRESHOLD_PARAMETER],
  );
  const metric = tags[TAG_GATE_METRIC] || undefined;
  const threshold = parameterThreshold ?? tagThreshold;
  const candidateValue = metric === undefined ? undefined : metrics[metric];
  let source: GateUsed['source'] = 'none';
  if (parameterThreshold !== undefined) source = 'execution-parameters';
  else if (tagThreshold !== undefined) source = 'version-tags';
  const disagree =
    parameterThreshold !== undefined &&
    tagThreshold !== undefined &&
    parameterThreshold !== tagThreshold;
  return {
    source,
    ...(metric ? { metric } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(disagree
      ? {
          message: `The version's ${TAG_GATE_THRESHOLD} tag says ${tagThreshold}, but the execution ran with ${GATE_THRESHOLD_PARAMETER} ${parameterThreshold}: the execution's value is used`,
        }
      : {}),
    ...(candidateValue !== undefined ? { candidateValue } : {}),
    // The template's condition step: the gate metric must be at least the threshold.
    ...(candidateValue !== undefined && threshold !== undefined
      ? { passed: candidateValue >= threshold }
      : {}),
    ...(execution
      ? {
          executionArn: execution.arn,
          executionParameters: execution.parameters,
        }
      : {}),
  };
}

/** A version's source run among those found in the entity's experiment. */
function sourceRun(
  runs: Map<string, MlflowRun>,
  version: MlflowModelVersion,
): MlflowRun {
  const run = version.run_id ? runs.get(version.run_id) : undefined;
  if (!run) {
    throw new NotFoundError(
      `The source run of version ${version.version} is not in this entity's experiment`,
    );
  }
  return run;
}

/** Every metric either run logged: the key metrics first, then by name; the delta where both have it. */
export function compareMetrics(
  candidate: Record<string, number>,
  champion: Record<string, number>,
): MetricComparison[] {
  const isKey = (name: string) =>
    (KEY_METRICS as readonly string[]).includes(name);
  return [...new Set([...Object.keys(candidate), ...Object.keys(champion)])]
    .sort((a, b) => Number(isKey(b)) - Number(isKey(a)) || a.localeCompare(b))
    .map(name => ({
      name,
      ...(name in candidate ? { candidate: candidate[name] } : {}),
      ...(name in champion ? { champion: champion[name] } : {}),
      ...(name in candidate && name in champion
        ? { delta: candidate[name] - champion[name] }
        : {}),
    }));
}

/** The most metrics an audit record keeps: the key metrics and the gate's, never every metric a run logged. */
export const SUMMARY_MAX_METRICS = 10;

/**
 * What the approval's audit record keeps of a comparison: numbers and reasons, bounded. The key metrics and the
 * gate's metric only, and of the gate its metric, threshold, source and verdict: not the execution's parameters,
 * which may hold URIs or secrets. No sample data.
 */
export function summarizeComparison(c: VersionComparison): ComparisonSummary {
  const side = (s: Section<ComparedValidation>) =>
    s.data ? s.data.accuracy : `unavailable: ${s.error.message}`;
  const kept = new Set<string>([
    ...(c.gate.data?.metric ? [c.gate.data.metric] : []),
    ...KEY_METRICS,
  ]);
  const unavailable = (
    [
      ['champion', c.champion],
      ['metrics', c.metrics],
      ['gate', c.gate],
    ] as const
  )
    .filter(([, s]) => s.error)
    .map(([name, s]) => `${name}: ${s.error!.message}`);
  return {
    candidateVersion: c.candidate.version,
    ...(c.champion.data?.version && c.champion.data.state === 'champion'
      ? { championVersion: c.champion.data.version }
      : {}),
    champion: c.champion.data
      ? c.champion.data.state
      : `unavailable: ${c.champion.error!.message}`,
    ...(c.metrics.data
      ? {
          metrics: Object.fromEntries(
            c.metrics.data
              .filter(({ name }) => kept.has(name))
              .slice(0, SUMMARY_MAX_METRICS)
              .map(({ name, ...values }) => [name, values]),
          ),
        }
      : {}),
    ...(c.gate.data ? { gate: gateSummary(c.gate.data) } : {}),
    validation: {
      candidate: side(c.validation.candidate),
      champion: side(c.validation.champion),
    },
    ...(unavailable.length ? { unavailable } : {}),
  };
}

/** The gate as the audit record keeps it: what was applied and where from, not the execution's parameters. */
function gateSummary(gate: GateUsed): ComparisonSummary['gate'] {
  // An allow-list, so that a field added to the gate later does not reach the record unseen.
  const kept = [
    'source',
    'metric',
    'threshold',
    'candidateValue',
    'passed',
    'message',
    'executionArn',
  ] as const;
  return Object.fromEntries(
    kept.filter(key => gate[key] !== undefined).map(key => [key, gate[key]]),
  ) as ComparisonSummary['gate'];
}

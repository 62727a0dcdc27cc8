import { NotFoundError } from '@backstage/errors';
import {
  DEFAULT_MAX_MLFLOW_RESPONSE_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  MlflowServerConfig,
} from '../config';
import { UpstreamError, UpstreamThrottledError } from '../errors';
import type { CircuitBreaker } from '../faults/CircuitBreaker';
import {
  DeadlineExceededError,
  UNREACHABLE_AFTER_MS,
  requestDeadline,
} from '../faults/requestDeadline';
import { MAX_MLFLOW_RESPONSE_BYTES_KEY, readCapped } from '../responseLimit';
import { withLoggedDetail } from '../sagemaker/awsErrors';
import type { MlflowRequestSigner } from './requestSigner';
import type {
  MlflowArtifact,
  MlflowExperiment,
  MlflowMetric,
  MlflowModelVersion,
  MlflowPage,
  MlflowRegisteredModel,
  MlflowRun,
} from './types';

type Query = Record<string, string | number | undefined>;

/** How much of an error answer is read: enough for its message. */
const ERROR_BODY_BYTES = 64 * 1024;

/** MLflow's searches that take their query as a POST body: reads, safe to send twice. */
const READ_ONLY_POSTS = new Set(['runs/search']);

/** A typed client of one MLflow tracking server's REST API (`/api/2.0/mlflow`). */
export class MlflowClient {
  constructor(
    private readonly options: {
      server: MlflowServerConfig;
      sign: MlflowRequestSigner;
      timeoutMs: number;
      /** Largest artifact read into memory (sagemakerMlflow.limits.maxResponseBytes). */
      maxResponseBytes?: number;
      /** Largest API answer read into memory (sagemakerMlflow.limits.maxMlflowResponseBytes). */
      maxApiResponseBytes?: number;
      /** Fails calls fast while the server does not answer. */
      breaker?: CircuitBreaker;
    },
  ) {}

  get server(): MlflowServerConfig {
    return this.options.server;
  }

  async getExperimentByName(name: string): Promise<MlflowExperiment> {
    const res = await this.get<{ experiment: MlflowExperiment }>(
      'experiments/get-by-name',
      { experiment_name: name },
    );
    return res.experiment;
  }

  async createExperiment(
    name: string,
    tags: Record<string, string> = {},
  ): Promise<string> {
    const res = await this.post<{ experiment_id: string }>(
      'experiments/create',
      { name, tags: toTags(tags) },
    );
    return res.experiment_id;
  }

  async searchRuns(request: {
    experimentIds: string[];
    filter?: string;
    maxResults?: number;
    orderBy?: string[];
    pageToken?: string;
  }): Promise<MlflowPage<MlflowRun>> {
    const res = await this.post<{
      runs?: MlflowRun[];
      next_page_token?: string;
    }>('runs/search', {
      experiment_ids: request.experimentIds,
      filter: request.filter,
      max_results: request.maxResults ?? 1000,
      order_by: request.orderBy,
      page_token: request.pageToken,
    });
    return {
      items: res.runs ?? [],
      nextPageToken: res.next_page_token || undefined,
    };
  }

  async getMetricHistory(
    runId: string,
    metricKey: string,
  ): Promise<MlflowMetric[]> {
    const metrics: MlflowMetric[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.get<{
        metrics?: MlflowMetric[];
        next_page_token?: string;
      }>('metrics/get-history', {
        run_id: runId,
        metric_key: metricKey,
        page_token: pageToken,
        max_results: 25000,
      });
      metrics.push(...(res.metrics ?? []));
      pageToken = res.next_page_token || undefined;
    } while (pageToken);
    return metrics;
  }

  async getRegisteredModel(name: string): Promise<MlflowRegisteredModel> {
    const res = await this.get<{ registered_model: MlflowRegisteredModel }>(
      'registered-models/get',
      { name },
    );
    return res.registered_model;
  }

  async createRegisteredModel(
    name: string,
    description?: string,
    tags: Record<string, string> = {},
  ): Promise<MlflowRegisteredModel> {
    const res = await this.post<{ registered_model: MlflowRegisteredModel }>(
      'registered-models/create',
      { name, description, tags: toTags(tags) },
    );
    return res.registered_model;
  }

  async searchRegisteredModels(request: {
    filter?: string;
    maxResults?: number;
    pageToken?: string;
  }): Promise<MlflowPage<MlflowRegisteredModel>> {
    const res = await this.get<{
      registered_models?: MlflowRegisteredModel[];
      next_page_token?: string;
    }>('registered-models/search', {
      filter: request.filter,
      max_results: request.maxResults ?? 1000,
      page_token: request.pageToken,
    });
    return {
      items: res.registered_models ?? [],
      nextPageToken: res.next_page_token || undefined,
    };
  }

  async searchModelVersions(request: {
    filter: string;
    maxResults?: number;
    orderBy?: string[];
    pageToken?: string;
  }): Promise<MlflowPage<MlflowModelVersion>> {
    const query = new URLSearchParams();
    query.set('filter', request.filter);
    query.set('max_results', String(request.maxResults ?? 1000));
    for (const order of request.orderBy ?? []) query.append('order_by', order);
    if (request.pageToken) query.set('page_token', request.pageToken);
    const res = await this.request<{
      model_versions?: MlflowModelVersion[];
      next_page_token?: string;
    }>('GET', `model-versions/search?${query}`);
    return {
      items: res.model_versions ?? [],
      nextPageToken: res.next_page_token || undefined,
    };
  }

  async getModelVersion(
    name: string,
    version: string,
  ): Promise<MlflowModelVersion> {
    const res = await this.get<{ model_version: MlflowModelVersion }>(
      'model-versions/get',
      { name, version },
    );
    return res.model_version;
  }

  async getModelVersionByAlias(
    name: string,
    alias: string,
  ): Promise<MlflowModelVersion> {
    const res = await this.get<{ model_version: MlflowModelVersion }>(
      'registered-models/alias',
      { name, alias },
    );
    return res.model_version;
  }

  async setModelVersionTag(
    name: string,
    version: string,
    key: string,
    value: string,
  ): Promise<void> {
    await this.post('model-versions/set-tag', { name, version, key, value });
  }

  /** The artifacts directly under `path` (the run's root when none) of a run: files and folders, not their content. */
  async listArtifacts(runId: string, path?: string): Promise<MlflowArtifact[]> {
    const res = await this.get<{ files?: MlflowArtifact[] }>('artifacts/list', {
      run_id: runId,
      path,
    });
    return res.files ?? [];
  }

  /** Downloads one run artifact through the tracking server (works for proxied and direct stores). */
  async downloadArtifact(runId: string, path: string): Promise<Buffer> {
    const url = new URL(`${this.options.server.baseUrl}/get-artifact`);
    url.searchParams.set('run_uuid', runId);
    url.searchParams.set('path', path);
    const res = await this.send('GET', url);
    return readCapped(
      res,
      this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      `MLflow server '${this.options.server.name}' artifact ${path}`,
    );
  }

  private get<T>(path: string, query: Query): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) params.set(key, String(value));
    }
    return this.request<T>('GET', `${path}?${params}`);
  }

  private post<T>(path: string, body: object): Promise<T> {
    return this.request<T>('POST', path, JSON.stringify(body));
  }

  private async request<T>(
    method: string,
    path: string,
    body?: string,
  ): Promise<T> {
    const url = new URL(
      `${this.options.server.baseUrl}/api/2.0/mlflow/${path}`,
    );
    const res = await this.send(method, url, body);
    const answer = await readCapped(
      res,
      this.options.maxApiResponseBytes ?? DEFAULT_MAX_MLFLOW_RESPONSE_BYTES,
      `MLflow server '${this.options.server.name}' ${path.split('?')[0]}`,
      MAX_MLFLOW_RESPONSE_BYTES_KEY,
    );
    try {
      return JSON.parse(answer.toString('utf8')) as T;
    } catch {
      throw new UpstreamError(
        `MLflow server '${this.options.server.name}'`,
        `${path.split('?')[0]} answered with something other than JSON`,
      );
    }
  }

  private async send(
    method: string,
    url: URL,
    body?: string,
  ): Promise<Response> {
    const name = `MLflow server '${this.options.server.name}'`;
    const headers = await this.options.sign({
      method,
      url,
      headers: body ? { 'content-type': 'application/json' } : {},
      body,
    });
    let res: Response;
    try {
      // The call's own timeout, and the deadline of the request it serves.
      const deadline = requestDeadline();
      const fetchOnce = () => {
        const started = performance.now();
        if (deadline?.signal.aborted) {
          // The request came too late to this call: that says nothing about the server (see UNREACHABLE_AFTER_MS).
          return Promise.reject(
            new DeadlineExceededError(name, deadline.ms, false),
          );
        }
        return fetch(url, {
          method,
          headers,
          body,
          signal: deadline
            ? AbortSignal.any([
                AbortSignal.timeout(this.options.timeoutMs),
                deadline.signal,
              ])
            : AbortSignal.timeout(this.options.timeoutMs),
        }).catch(error => {
          throw deadline?.signal.aborted
            ? new DeadlineExceededError(
                name,
                deadline.ms,
                performance.now() - started >= UNREACHABLE_AFTER_MS,
              )
            : error;
        });
      };
      const attempt = () =>
        this.options.breaker
          ? this.options.breaker.run(fetchOnce)
          : fetchOnce();
      // A server or proxy may close an idle kept-alive socket just as a request goes out on it; a read (a GET,
      // or a search sent as POST) changes nothing, so it is sent once more on a fresh connection.
      const reads =
        method === 'GET' ||
        READ_ONLY_POSTS.has(url.pathname.split('/mlflow/').pop()!);
      res = await attempt().catch(error => {
        if (!reads || !closedUnderUs(error)) throw error;
        return attempt();
      });
    } catch (error) {
      // The deadline's and the breaker's errors already say what happened.
      if (error instanceof UpstreamError) throw error;
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${this.options.timeoutMs} ms`
          : `cannot be reached (${
              (error as any).cause?.code ?? (error as Error).message
            })`;
      throw new UpstreamError(name, reason, error, undefined, {
        code: 'unavailable',
        fix: `check that the tracking server answers at the baseUrl of mlflow.servers '${this.options.server.name}'`,
      });
    }
    if (res.ok) return res;
    // An error answer is read only as far as a message goes.
    const text = (
      await readCapped(res, ERROR_BODY_BYTES, name).catch(() => Buffer.alloc(0))
    ).toString('utf8');
    let code: string | undefined;
    let message: string | undefined;
    try {
      const parsed = JSON.parse(text);
      code = parsed.error_code;
      message = parsed.message;
    } catch {
      // Not an MLflow error (a proxy's or the server's HTML error page, say): its text goes to the log only.
    }
    if (res.status === 404 || code === 'RESOURCE_DOES_NOT_EXIST') {
      throw new NotFoundError(`${name}: ${message ?? 'HTTP 404'}`);
    }
    if (res.status === 401 || res.status === 403) {
      // The server refused the portal's credentials. Its text may name them (managed MLflow's answer names the
      // IAM role): logged only, through the error's non-enumerable cause.
      const operation = url.pathname.split('/mlflow/').pop();
      throw withLoggedDetail(
        new UpstreamError(
          name,
          `HTTP ${res.status}: the portal's credentials may not call ${operation}`,
          undefined,
          res.status,
          {
            code: 'access-denied',
            fix: `give the credentials of mlflow.servers '${this.options.server.name}' access to ${operation}`,
          },
        ),
        { name: code ?? `HTTP ${res.status}`, message: text.slice(0, 2000) },
      );
    }
    if (res.status === 429) {
      throw new UpstreamThrottledError(
        name,
        Number(res.headers.get('retry-after')) || 5,
      );
    }
    if (message === undefined) {
      throw withLoggedDetail(
        new UpstreamError(
          name,
          `HTTP ${res.status} without an MLflow error`,
          undefined,
          res.status,
        ),
        { name: `HTTP ${res.status}`, message: text.slice(0, 2000) },
      );
    }
    throw new UpstreamError(
      name,
      `HTTP ${res.status} ${code ?? ''} ${message}`.trim(),
      undefined,
      res.status,
    );
  }
}

const CLOSED_SOCKET_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ECONNRESET',
  'EPIPE',
]);

function closedUnderUs(error: unknown) {
  return CLOSED_SOCKET_CODES.has((error as any)?.cause?.code);
}

function toTags(tags: Record<string, string>) {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

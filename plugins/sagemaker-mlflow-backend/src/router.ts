import type {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  endpointInvokePermission,
  modelApprovePermission,
  pipelineExecutePermission,
  DEFAULT_PAGE_SIZE,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  refuseUnlistedServicePrincipal,
  withRequestDeadline,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import pLimit from 'p-limit';
import express, { NextFunction, Request } from 'express';
import Router from 'express-promise-router';
import { createOpenApiRouter, spec } from './schema/openapi';
import { EntityContext, loadEntityContext } from './service/EntityContext';
import type { Endpoints } from './service/endpoints';
import type { ModelVersions } from './service/modelVersions';
import type { Pipelines } from './service/pipelines/Pipelines';
import type { VersionTimelines } from './service/versionTimeline';
import {
  summarizeComparison,
  VersionComparisons,
} from './service/versionComparison';
import { loadSummary } from './service/summary';
import { upstreamErrorHandler } from './upstreamErrorHandler';
import { nameUnknownFields } from './validationErrors';

export interface RouterOptions {
  /** `sagemakerMlflow.permissions.servicePrincipals`: the only service principals that may write. */
  servicePrincipals: string[];
  /** `sagemakerMlflow.requestTimeoutMs`: no upstream call an entity route makes waits longer. */
  requestTimeoutMs: number;
  logger: LoggerService;
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  permissions: PermissionsService;
  auditor: AuditorService;
  pipelines: Pipelines;
  versions: ModelVersions;
  endpoints: Endpoints;
  timelines: VersionTimelines;
  comparisons: VersionComparisons;
  maxPayloadBytes: number;
  /** The configured tracking servers, for the template's server picker. */
  mlflowServers: Array<{ name: string; uiUrl: string }>;
}

const INVOKE_CONTENT_TYPES = ['application/json', 'text/csv'];

/** The path parameters every entity route has. */
type EntityRequest = Request<
  { namespace: string; kind: string; name: string },
  any,
  any,
  any
>;

/** The request's media type, without parameters, lower case ('' when none). */
const mediaType = (req: Request<any, any, any, any>) =>
  (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

const unsupportedMediaType = (message: string) =>
  Object.assign(new Error(message), { name: 'UnsupportedMediaTypeError' });

/**
 * A JSON write route's body parser that refuses a body of another type (415) instead of reading it as `{}`, which
 * would, say, start a pipeline with none of the parameters the caller sent.
 */
const jsonBody = (limit: string): express.RequestHandler[] => [
  (req, _res, next) => {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 ||
      req.headers['transfer-encoding'] !== undefined;
    next(
      hasBody && mediaType(req) !== 'application/json'
        ? unsupportedMediaType(
            `Content-Type must be application/json; got '${
              mediaType(req) || 'none'
            }'`,
          )
        : undefined,
    );
  },
  express.json({ limit }),
];

const CONCURRENT_CATALOG_READS = 16;

/** `promise`, or the error `onTimeout` makes once `ms` have passed first. */
function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    httpAuth,
    catalog,
    permissions,
    auditor,
    pipelines,
    versions,
    endpoints,
    timelines,
    comparisons,
  } = options;
  // Every route below is validated against openapi.yaml (params, query, JSON body) before its handler runs; a
  // request the spec refuses is a 400 naming what is wrong. The bodies are parsed before, outside this router
  // (`router` at the end of this function), so it gets a pass-through instead of its default JSON parser.
  const api = await createOpenApiRouter({
    middleware: [(_req, _res, next) => next()],
  });

  api.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  api.get('/v1/mlflow-servers', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json({
      items: options.mlflowServers.map(({ name, uiUrl }) => ({ name, uiUrl })),
    });
  });

  const entityPath = '/v1/entities/:namespace/:kind/:name';
  // Every upstream call an entity route makes, however deep, gives up at the request's deadline (invocations
  // keep their own, longer timeout: the endpoint runtime client is not bound by it). Placed right before each
  // handler: a body parser reads the body in the socket's async context, which would lose the deadline's.
  const inDeadline = (_req: unknown, _res: unknown, next: NextFunction) =>
    withRequestDeadline(options.requestTimeoutMs, next);

  // Every request reads its entity from the catalog over loopback HTTP. A burst of requests (a portal's worth of
  // tabs opening at once) would open as many connections at once, which stalled some for seconds under load: the
  // reads queue for a bounded number of connections instead (each takes a few milliseconds). A read, and the wait
  // for one, give up at the request's deadline (a 503), so a slow or hung catalog cannot hold the queue; a request
  // whose client has gone is not read at all.
  const catalogReads = pLimit(CONCURRENT_CATALOG_READS);
  const catalogTimeout = () =>
    new ServiceUnavailableError(
      `The catalog did not answer within ${options.requestTimeoutMs} ms (sagemakerMlflow.requestTimeoutMs); try again shortly`,
    );

  async function context(req: EntityRequest): Promise<EntityContext> {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { namespace, kind, name } = req.params;
    const read = catalogReads(() =>
      req.socket.destroyed
        ? Promise.reject(catalogTimeout())
        : withTimeout(
            loadEntityContext(catalog, { namespace, kind, name }, credentials),
            options.requestTimeoutMs,
            catalogTimeout,
          ),
    );
    return withTimeout(read, options.requestTimeoutMs, catalogTimeout);
  }

  async function authorize(
    permission: ResourcePermission<'catalog-entity'>,
    ctx: EntityContext,
    credentials: BackstageCredentials,
  ) {
    // The permissions service allows service principals without asking the policy: only listed ones may write.
    refuseUnlistedServicePrincipal(
      options.servicePrincipals,
      credentials,
      permission.name,
    );
    const [decision] = await permissions.authorize(
      [{ permission, resourceRef: ctx.entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You may not use ${permission.name} on ${ctx.entityRef}`,
      );
    }
  }

  /** Whether the caller holds the permission on the entity (for a read that shows more to those who do). */
  async function holds(
    permission: ResourcePermission<'catalog-entity'>,
    ctx: EntityContext,
  ): Promise<boolean> {
    return authorize(permission, ctx, ctx.credentials).then(
      () => true,
      error => {
        if (error.name === 'NotAllowedError') return false;
        throw error;
      },
    );
  }

  /**
   * Runs a write: permission, then the change, recorded with the auditor either way. `recorded` picks what of the
   * result goes into the audit record (by default all of it).
   */
  async function write<T>(
    req: EntityRequest,
    eventId: string,
    permission: ResourcePermission<'catalog-entity'>,
    meta: Record<string, string | undefined>,
    change: (ctx: EntityContext) => Promise<T>,
    recorded: (result: T) => unknown = result => result,
  ): Promise<T> {
    const ctx = await context(req);
    const event = await auditor.createEvent({
      eventId,
      request: req,
      severityLevel: 'medium',
      meta: { entityRef: ctx.entityRef, ...JSON.parse(JSON.stringify(meta)) },
    });
    try {
      await authorize(permission, ctx, ctx.credentials);
      const result = await change(ctx);
      await event.success({
        meta: JSON.parse(JSON.stringify(recorded(result) ?? {})),
      });
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }

  api.get(`${entityPath}/summary`, inDeadline, async (req, res) => {
    res.json(
      await loadSummary(
        await context(req),
        { pipelines, versions, endpoints },
        options.logger,
      ),
    );
  });

  api.get(`${entityPath}/executions`, inDeadline, async (req, res) => {
    const { pageSize = DEFAULT_PAGE_SIZE, pageToken } = req.query;
    res.json(await pipelines.list(await context(req), pageSize, pageToken));
  });

  api.get(`${entityPath}/executions/:id`, inDeadline, async (req, res) => {
    res.json(await pipelines.detail(await context(req), req.params.id));
  });

  api.post(`${entityPath}/executions`, inDeadline, async (req, res) => {
    const body = req.body ?? {};
    const result = await write(
      req,
      'pipeline-execution-start',
      pipelineExecutePermission,
      { displayName: body.displayName },
      ctx => pipelines.start(ctx, body),
    );
    res.status(201).json(result);
  });

  api.post(
    `${entityPath}/executions/:id/stop`,
    inDeadline,
    async (req, res) => {
      const id = req.params.id;
      res.json(
        await write(
          req,
          'pipeline-execution-stop',
          pipelineExecutePermission,
          { executionId: id },
          ctx => pipelines.stop(ctx, id),
        ),
      );
    },
  );

  api.get(`${entityPath}/model-versions`, inDeadline, async (req, res) => {
    const { pageSize = DEFAULT_PAGE_SIZE, pageToken } = req.query;
    res.json(await versions.list(await context(req), pageSize, pageToken));
  });

  api.get(
    `${entityPath}/sagemaker-only-versions`,
    inDeadline,
    async (req, res) => {
      const { pageSize = DEFAULT_PAGE_SIZE, pageToken } = req.query;
      res.json(
        await versions.sageMakerOnly(await context(req), pageSize, pageToken),
      );
    },
  );

  api.get(
    `${entityPath}/model-versions/:version/comparison`,
    inDeadline,
    async (req, res) => {
      const ctx = await context(req);
      const version = req.params.version;
      // The validation sends the candidate's sample to endpoints: only for a caller who may invoke them, and
      // recorded like the validation route's invocations.
      const mayInvoke = await holds(endpointInvokePermission, ctx);
      const event = await auditor.createEvent({
        eventId: 'model-version-comparison',
        request: req,
        severityLevel: 'low',
        meta: { entityRef: ctx.entityRef, version },
      });
      try {
        const comparison = await comparisons.compare(ctx, version, mayInvoke);
        await event.success({
          meta: JSON.parse(JSON.stringify(summarizeComparison(comparison))),
        });
        res.json(comparison);
      } catch (error) {
        await event.fail({ error: error as Error });
        throw error;
      }
    },
  );

  api.post(
    `${entityPath}/model-versions/:version/approval`,
    inDeadline,
    async (req, res) => {
      const body = req.body;
      const version = req.params.version;
      const { result: approval } = await write(
        req,
        'model-version-approval',
        modelApprovePermission,
        { version, status: body.status },
        async ctx => {
          // The evidence the decision was made on, computed here (the body carries none): the cached comparison
          // the dialog showed, or a fresh one. Its parts fail on their own; if it fails whole, the record says why
          // and the decision still goes through.
          // It gets half the request's deadline, so that a hung model server cannot make the decision itself miss it.
          const comparison = await withTimeout(
            comparisons.compare(
              ctx,
              version,
              await holds(endpointInvokePermission, ctx),
            ),
            options.requestTimeoutMs / 2,
            () =>
              new ServiceUnavailableError(
                `not computed within ${
                  options.requestTimeoutMs / 2
                } ms (half of sagemakerMlflow.requestTimeoutMs)`,
              ),
          ).then(summarizeComparison, (error: Error) => ({
            unavailable: [`comparison: ${error.message}`],
          }));
          return {
            result: await versions.setApproval(
              ctx,
              version,
              body.status,
              body.comment,
            ),
            comparison,
          };
        },
        ({ result, comparison }) => ({ ...result, comparison }),
      );
      res.json(approval);
    },
  );

  api.get(
    `${entityPath}/model-versions/:version/timeline`,
    inDeadline,
    async (req, res) => {
      res.json(
        await timelines.timeline(await context(req), req.params.version),
      );
    },
  );

  api.get(`${entityPath}/endpoints`, inDeadline, async (req, res) => {
    res.json(await endpoints.list(await context(req)));
  });

  api.get(
    `${entityPath}/endpoints/:endpointName/example`,
    inDeadline,
    async (req, res) => {
      res.json(
        await endpoints.example(await context(req), req.params.endpointName),
      );
    },
  );

  api.post(
    `${entityPath}/endpoints/:endpointName/invocations`,
    inDeadline,
    async (req, res) => {
      const endpointName = req.params.endpointName;
      const contentType = mediaType(req);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (body.length === 0)
        throw new InputError(
          'The request body is empty: send the payload for the endpoint',
        );
      res.json(
        await write(
          req,
          'endpoint-invoke',
          endpointInvokePermission,
          { endpointName, bytes: String(body.length) },
          ctx => endpoints.invoke(ctx, endpointName, body, contentType),
          // The model's answer may be large or sensitive: the record keeps how it went, not what it said.
          ({ statusCode, contentType: answerType, latencyMs }) => ({
            statusCode,
            contentType: answerType,
            latencyMs,
          }),
        ),
      );
    },
  );

  api.post(
    `${entityPath}/endpoints/:endpointName/validation`,
    inDeadline,
    async (req, res) => {
      const endpointName = req.params.endpointName;
      res.json(
        await write(
          req,
          'endpoint-validate',
          endpointInvokePermission,
          { endpointName },
          ctx => endpoints.validate(ctx, endpointName),
          ({ modelVersion, rows, accuracy, latencyMs }) => ({
            modelVersion,
            rows,
            accuracy,
            latencyMs,
          }),
        ),
      );
    },
  );

  // The write routes' bodies, parsed before the validated router sees them. Out here because that router turns
  // every error raised before its routes into a 400, and these must stay 415 (wrong type) and 413 (too large).
  const router = Router();
  router.post(`${entityPath}/executions`, ...jsonBody('64kb'));
  router.post(
    `${entityPath}/model-versions/:version/approval`,
    ...jsonBody('16kb'),
  );
  router.post(
    `${entityPath}/endpoints/:endpointName/invocations`,
    (req, _res, next) => {
      const type = mediaType(req);
      next(
        INVOKE_CONTENT_TYPES.includes(type)
          ? undefined
          : unsupportedMediaType(
              `Content-Type must be one of ${INVOKE_CONTENT_TYPES.join(
                ', ',
              )}; got '${type || 'none'}'`,
            ),
      );
    },
    express.raw({ type: () => true, limit: options.maxPayloadBytes }),
  );
  router.use(api);
  router.use(nameUnknownFields(spec));
  router.use(upstreamErrorHandler(options.logger));
  return router;
}

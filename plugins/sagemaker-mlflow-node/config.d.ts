import type { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  /** Model Factory: SageMaker Pipelines and MLflow on entity pages. */
  sagemakerMlflow?: {
    sagemaker?: {
      /** Send every SageMaker call here instead of AWS: only for a local emulator. */
      endpoint?: string;
    };
    mlflow?: {
      /** Tracking servers an entity may name with mlflow.org/tracking-server (default: `default`). */
      servers?: Array<{
        name: string;
        /** REST base URL, without /api/2.0/mlflow. */
        baseUrl: string;
        /** MLflow UI base URL for links, when it differs from baseUrl. */
        uiUrl?: string;
        auth?:
          | { type: 'none' }
          | {
              type: 'basic';
              username: string;
              /** @visibility secret */
              password: string;
            }
          | {
              type: 'bearer';
              /** @visibility secret */
              token: string;
            }
          | {
              /** Managed MLflow on SageMaker: SigV4 for service sagemaker-mlflow. */
              type: 'aws-sigv4';
              trackingServerArn: string;
              region?: string;
            };
      }>;
    };
    /**
     * Endpoints answered by an MLflow-protocol HTTP server (POST <url>/invocations) instead of SageMaker. Each
     * names its endpoint by full ARN (arn:aws:sagemaker:<region>:<account>:endpoint/<name>): the same name in
     * another account or region is another endpoint. A route without endpointArn is refused at start-up.
     */
    endpointRoutes?: Array<{ endpointArn: string; url: string }>;
    /** Two-way binding: a resource is acted on only when its `backstage.io/entity-ref` tag names the entity. */
    binding?: {
      /**
       * Reads too need the binding tag (default false: reads follow the annotations, as in AWS's own Backstage
       * plugins; writes always need it).
       */
      requireForReads?: boolean;
      /**
       * Invocations (the endpoint test console's Invoke) may use an endpoint's binding read as bound within the
       * last this many seconds, instead of reading the tag on every call (default 30; 0 reads it every time).
       * Trade-off: removing the tag stops invocations only after up to this long. A refusal is never reused, and
       * writes that change state (start, stop, approve) and validation always read the tag fresh.
       */
      invokeCacheSeconds?: number;
    };
    cache?: {
      /** How long upstream answers are reused (default 30). */
      ttlSeconds?: number;
    };
    invoke?: {
      /** Largest invocation payload accepted (default 6 MiB, SageMaker's own limit). */
      maxPayloadBytes?: number;
      timeoutMs?: number;
    };
    limits?: {
      /**
       * Largest upstream answer read into memory: a model endpoint's answer (through SageMaker or a route) and a
       * model's logged validation sample. A larger one is not read further (the connection is closed) and the
       * request fails with a 502 naming this key. Default 6291456 (6 MiB, SageMaker InvokeEndpoint's own limit).
       */
      maxResponseBytes?: number;
      /**
       * Largest MLflow API answer (a search page, say) read into memory; a larger one is a 502 naming this key.
       * Default 33554432 (32 MiB).
       */
      maxMlflowResponseBytes?: number;
    };
    /** Timeout of one SageMaker or MLflow call (default 10000). */
    upstreamTimeoutMs?: number;
    /**
     * The overall deadline of one request to the plugin's entity routes, in ms (default 10000): no upstream call it
     * makes, nor their retries and fan-outs, waits longer; a section not answered by then is that section's error.
     */
    requestTimeoutMs?: number;
    /** An upstream (a region's SageMaker API, an MLflow server) that stops answering is left alone for a while. */
    upstreamBreaker?: {
      /** Calls in a row without an answer (timeouts, refused connections) that open the breaker (default 3). */
      failures?: number;
      /** How long calls then fail at once, before one probe call tries again (default 30). */
      coolDownSeconds?: number;
    };
    /**
     * Notifications to an entity's owner (Backstage notifications) when a version awaits approval, is approved or
     * rejected, a pipeline execution or an endpoint update fails, or a validation falls below its gate; and live
     * updates of an open tab (signals). Needs the notifications and signals backends.
     */
    notifications?: {
      /** Default true. */
      enabled?: boolean;
      /** How often the upstream is polled (default every 5 minutes, 1 minute after start-up); one instance at a time. */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /**
       * The events topic on which SageMaker's EventBridge events arrive: list it in `events.http.topics` and point an
       * EventBridge API destination at /api/events/http/<topic> (default `aws.sagemaker`).
       */
      eventsTopic?: string;
      /**
       * A shared secret the events ingress requires in the `x-model-factory-events-secret` header (the app's
       * events module; an EventBridge connection with API key authorization sends it). Unset: the ingress is open.
       * @visibility secret
       */
      eventsSecret?: string;
    };
    /** Who may do more than the shipped permission policy's defaults (README "Security model"). */
    permissions?: {
      /**
       * Group entity refs (e.g. `group:default/platform-admins`) whose members may do everything: delete any
       * entity or location, read and cancel anyone's scaffolder tasks, use the template editor, and Model
       * Factory's writes on any entity's bound resources. Default: none.
       */
      adminGroups?: string[];
      /**
       * Service principals, by subject, that may use Model Factory's writes (start/stop, approve, invoke) and
       * delete catalog entities and locations: `plugin:<pluginId>` for a backend plugin, or the `subject` of a
       * `backend.auth.externalAccess` static token (e.g. `external:ci-bot`). Backstage's permissions service
       * lets every service principal through without asking the policy, so any other one is refused these
       * writes; reads stay open to all of them. Default: none.
       */
      servicePrincipals?: string[];
    };
  };
}

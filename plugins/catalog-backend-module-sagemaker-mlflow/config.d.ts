import type { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  sagemakerMlflow?: {
    /** The catalog module `sagemaker-mlflow-models`: models as `kind: Resource`, `spec.type: ml-model` entities. */
    catalog?: {
      /** How often models are read (default: every 30 minutes, 10 minutes timeout). */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /**
       * Owner of a model no component binds both ways (its binding tag names a component whose annotations name
       * the model back), e.g. `group:default/ml-platform`; such models are labelled `model-factory.io/unowned`.
       * Default `group:default/ml-platform`.
       */
      defaultOwner?: string;
      /**
       * Accounts and regions whose SageMaker model package groups are ingested (credentials from `aws`). None:
       * only MLflow registered models are.
       */
      sagemaker?: Array<{ accountId: string; region: string }>;
      /** MLflow tracking servers (by config name) whose registered models are ingested. Default: all of them. */
      mlflowServers?: string[];
      /** Registered models per MLflow search page (default 200). */
      pageSize?: number;
    };
  };
}

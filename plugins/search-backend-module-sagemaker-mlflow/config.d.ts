import type { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  search?: {
    collators?: {
      /** The registered-model collator (document type `ml-model`). */
      sagemakerMlflow?: {
        /**
         * How often the models are indexed (default: every 10 minutes, 15 minutes timeout, 3 seconds initial
         * delay).
         */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
    };
  };
}

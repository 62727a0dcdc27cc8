import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';

export interface NotificationsConfig {
  enabled: boolean;
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** The events topic SageMaker's EventBridge events arrive on (the events backend's `events.http.topics`). */
  eventsTopic: string;
}

export const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 5 },
  timeout: { minutes: 4 },
  initialDelay: { minutes: 1 },
};

export const DEFAULT_EVENTS_TOPIC = 'aws.sagemaker';

/** `sagemakerMlflow.notifications`: on by default, every 5 minutes. */
export function readNotificationsConfig(config: Config): NotificationsConfig {
  const c = config.getOptionalConfig('sagemakerMlflow.notifications');
  return {
    enabled: c?.getOptionalBoolean('enabled') ?? true,
    schedule: c?.has('schedule')
      ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
          c.getConfig('schedule'),
        )
      : DEFAULT_SCHEDULE,
    eventsTopic: c?.getOptionalString('eventsTopic') ?? DEFAULT_EVENTS_TOPIC,
  };
}

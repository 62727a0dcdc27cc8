import type { NotificationPayload } from '@backstage/plugin-notifications-common';
import {
  entityTabPath,
  SageMakerMlflowSignal,
  versionPath,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import type { EventIdentity } from './NotificationLedger';

/** What the watcher read of one entity's resources; a section it could not read is undefined (and detects nothing). */
export interface Observation {
  /** The newest model packages of the entity's group, each with the MLflow version that names it (if any). */
  packages?: Array<{
    arn: string;
    status: string;
    packageVersion?: number;
    mlflowVersion?: string;
  }>;
  /** The newest executions of the entity's pipeline. */
  executions?: Array<{
    arn: string;
    status: string;
    displayName?: string;
    failureReason?: string;
  }>;
  endpoints?: Array<{
    arn: string;
    name: string;
    status: string;
    failureReason?: string;
    lastModifiedAt?: string;
  }>;
  /** The newest MLflow versions of the entity's registered model, with their tags (validations, gates). */
  versions?: Array<{ version: string; tags: Record<string, string> }>;
}

export type WatchEventKind =
  | 'approval-pending'
  | 'approval-decided'
  | 'execution-failed'
  | 'endpoint-failed'
  | 'validation-below-gate';

/** One thing the entity's owner is told, once. */
export interface WatchEvent extends EventIdentity {
  kind: WatchEventKind;
  /**
   * Something that happened (a failure, a decision) rather than something still waiting for someone (a pending
   * approval): what happened before the watcher first looked at the entity is recorded, not notified.
   */
  historical: boolean;
  payload: NotificationPayload;
}

/** The prefix of an MLflow version tag recording an endpoint validation: `validation.<endpointName>`. */
export const VALIDATION_TAG_PREFIX = 'validation.';
/** MLflow version tags naming the gate the version's pipeline applied: a metric and its lowest passing value. */
export const GATE_METRIC_TAG = 'gate_metric';
export const GATE_THRESHOLD_TAG = 'gate_threshold';

/** The notifications' topics: a user can turn each off in the notification settings. */
export const TOPICS = {
  approval: 'Model approvals',
  execution: 'Pipeline executions',
  endpoint: 'Endpoints',
  validation: 'Endpoint validations',
} as const;

export interface WatchedEntity {
  entityRef: string;
  kind: string;
  namespace?: string;
  name: string;
  title?: string;
  /** The endpoints its annotations name: only their validation records count (any MLflow writer may add a tag). */
  endpointNames?: string[];
}

/** The version's drill-down in the tab; the tab itself for a package no MLflow version names. */
function versionLink(entity: WatchedEntity, version?: string): string {
  return version ? versionPath(entity, version) : entityTabPath(entity);
}

/** A validation a version's tag records, when it and the version's gate are readable; else undefined. */
function belowGate(
  tags: Record<string, string>,
  tag: string,
): { metric: string; value: number; threshold: number } | undefined {
  const metric = tags[GATE_METRIC_TAG];
  const threshold = Number(tags[GATE_THRESHOLD_TAG]);
  if (!metric || !Number.isFinite(threshold)) return undefined;
  let recorded: Record<string, unknown>;
  try {
    recorded = JSON.parse(tags[tag]);
  } catch {
    return undefined;
  }
  const value = Number(recorded?.[metric]);
  if (!Number.isFinite(value) || value >= threshold) return undefined;
  return { metric, value, threshold };
}

/** The events an observation holds for the entity's owner, each with the identity that makes it happen once. */
export function detectEvents(
  entity: WatchedEntity,
  obs: Observation,
): WatchEvent[] {
  const name = entity.title || entity.name;
  const events: WatchEvent[] = [];
  const event = (
    kind: WatchEventKind,
    resource: string,
    state: string,
    historical: boolean,
    payload: NotificationPayload,
  ) =>
    events.push({
      entityRef: entity.entityRef,
      kind,
      resource,
      state,
      historical,
      payload,
    });

  for (const p of obs.packages ?? []) {
    const which = p.mlflowVersion
      ? `Version ${p.mlflowVersion}`
      : `Model package ${p.packageVersion ?? p.arn}`;
    const link = versionLink(entity, p.mlflowVersion);
    if (p.status === 'PendingManualApproval') {
      event('approval-pending', p.arn, p.status, false, {
        title: `${which} of ${name} awaits approval`,
        description: `The model package ${p.arn} is pending manual approval.`,
        severity: 'high',
        topic: TOPICS.approval,
        scope: `approval:${p.arn}`,
        link,
      });
    } else if (p.status === 'Approved' || p.status === 'Rejected') {
      event('approval-decided', p.arn, p.status, true, {
        title: `${which} of ${name} was ${p.status.toLocaleLowerCase('en-US')}`,
        description: `The model package ${p.arn} is ${p.status}.`,
        severity: 'normal',
        topic: TOPICS.approval,
        // Replaces the notification that it was pending.
        scope: `approval:${p.arn}`,
        link,
      });
    }
  }

  for (const e of obs.executions ?? []) {
    if (e.status !== 'Failed') continue;
    event('execution-failed', e.arn, e.status, true, {
      title: `Pipeline execution ${
        e.displayName || e.arn.split('/').pop()
      } of ${name} failed`,
      description: e.failureReason || `The execution ${e.arn} failed.`,
      severity: 'high',
      topic: TOPICS.execution,
      link: entityTabPath(entity),
    });
  }

  for (const e of obs.endpoints ?? []) {
    // A failed creation leaves the endpoint Failed; a failed update rolls it back to InService with a reason.
    if (e.status !== 'Failed' && !e.failureReason) continue;
    event(
      'endpoint-failed',
      e.arn,
      `${e.status}@${e.lastModifiedAt ?? ''}`,
      true,
      {
        title: `Endpoint ${e.name} of ${name}: ${
          e.status === 'Failed' ? 'failed' : 'update failed'
        }`,
        description: e.failureReason || `The endpoint ${e.arn} is Failed.`,
        severity: 'critical',
        topic: TOPICS.endpoint,
        link: entityTabPath(entity),
      },
    );
  }

  for (const v of obs.versions ?? []) {
    for (const tag of Object.keys(v.tags)) {
      if (!tag.startsWith(VALIDATION_TAG_PREFIX)) continue;
      const below = belowGate(v.tags, tag);
      if (!below) continue;
      const endpoint = tag.slice(VALIDATION_TAG_PREFIX.length);
      if (!entity.endpointNames?.includes(endpoint)) continue;
      // Once per version and endpoint: a record rewritten with a new time is not news (nor a way to flood).
      event(
        'validation-below-gate',
        `${v.version}:${endpoint}`,
        'below-gate',
        true,
        {
          title: `Version ${v.version} of ${name} fell below its gate on ${endpoint}`,
          description: `${below.metric} ${below.value} on ${endpoint} is below the gate ${below.threshold}.`,
          severity: 'high',
          topic: TOPICS.validation,
          link: versionLink(entity, v.version),
        },
      );
    }
  }
  return events;
}

/**
 * What an open tab shows of each section, reduced to what a refresh would change: two observations whose
 * fingerprints differ in a section mean that section changed.
 */
export function fingerprints(
  obs: Observation,
): Partial<Record<SageMakerMlflowSignal['sections'][number], string>> {
  const out: Partial<
    Record<SageMakerMlflowSignal['sections'][number], string>
  > = {};
  if (obs.executions)
    out.executions = JSON.stringify(obs.executions.map(e => [e.arn, e.status]));
  if (obs.packages || obs.versions)
    out.versions = JSON.stringify([
      (obs.packages ?? []).map(p => [p.arn, p.status]),
      (obs.versions ?? []).map(v => [v.version, v.tags]),
    ]);
  if (obs.endpoints)
    out.endpoints = JSON.stringify(
      obs.endpoints.map(e => [e.arn, e.status, e.lastModifiedAt]),
    );
  return out;
}

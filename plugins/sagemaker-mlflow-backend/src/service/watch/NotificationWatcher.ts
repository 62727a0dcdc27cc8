import type {
  AuthService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { SignalsService } from '@backstage/plugin-signals-node';
import {
  RESOURCE_ANNOTATIONS,
  SageMakerMlflowSignal,
  signalChannel,
  MODEL_RESOURCE_TYPE,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { readEntityBinding } from '@model-factory/plugin-sagemaker-mlflow-node';
import pLimit from 'p-limit';
import {
  detectEvents,
  fingerprints,
  Observation,
  WatchEventKind,
} from './detect';
import type { NotificationLedger } from './NotificationLedger';

/** Entities checked at once: each is a handful of upstream calls. */
const ENTITY_CONCURRENCY = 4;

/** The sections of an observation, and the section each kind of event comes from. */
const WATCHED_SECTIONS = [
  'packages',
  'executions',
  'endpoints',
  'versions',
] as const satisfies ReadonlyArray<keyof Observation>;
const SECTION_OF: Record<WatchEventKind, keyof Observation> = {
  'approval-pending': 'packages',
  'approval-decided': 'packages',
  'execution-failed': 'executions',
  'endpoint-failed': 'endpoints',
  'validation-below-gate': 'versions',
};

type Section = SageMakerMlflowSignal['sections'][number];

export interface NotificationWatcherOptions {
  catalog: CatalogService;
  auth: AuthService;
  logger: LoggerService;
  ledger: NotificationLedger;
  notifications: NotificationService;
  /** Optional: without it an open tab keeps polling. */
  signals?: SignalsService;
  observe(
    entity: Entity,
    credentials: BackstageCredentials,
  ): Promise<Observation>;
  /** Drops what the entity's routes cached, so a tab that reloads on the signal reads the change. */
  invalidate?(entityRef: string): Promise<void>;
}

/** The group (or user) that owns the entity, as an entity ref; undefined for an entity without an owner. */
export function ownerOf(entity: Entity): string | undefined {
  const related = entity.relations?.find(r => r.type === RELATION_OWNED_BY);
  if (related) return related.targetRef;
  const owner = (entity.spec as { owner?: unknown } | undefined)?.owner;
  if (typeof owner !== 'string' || !owner) return undefined;
  return stringifyEntityRef(
    parseEntityRef(owner, {
      defaultKind: 'group',
      defaultNamespace: entity.metadata.namespace ?? 'default',
    }),
  );
}

/**
 * Tells an entity's owner, once, what happened to the resources its annotations name (see detectEvents), and tells
 * an open tab which of its sections changed. Every backend instance may run it (the schedule on one at a time, an
 * event on whichever instance got it): the ledger's claim lets exactly one send each notification.
 */
export class NotificationWatcher {
  /** The last fingerprints this instance saw of each entity's sections, to signal only changes. */
  private readonly seen = new Map<string, ReturnType<typeof fingerprints>>();

  constructor(private readonly options: NotificationWatcherOptions) {}

  private credentials() {
    return this.options.auth.getOwnServiceCredentials();
  }

  /** Checks every entity that names a SageMaker or MLflow resource. */
  async checkAll(): Promise<void> {
    const credentials = await this.credentials();
    const limit = pLimit(ENTITY_CONCURRENCY);
    let checked = 0;
    for await (const page of this.options.catalog.streamEntities(
      {
        filter: RESOURCE_ANNOTATIONS.map(a => ({
          [`metadata.annotations.${a}`]: CATALOG_FILTER_EXISTS,
        })),
      },
      { credentials },
    )) {
      await Promise.all(
        page
          .filter(entity => !isModelEntity(entity))
          .map(entity => limit(() => this.checkEntity(entity, credentials))),
      );
      checked += page.length;
    }
    this.options.logger.debug(`Notifications: checked ${checked} entities`);
  }

  /** Checks these entities now (an event named their resources). */
  async checkEntities(entities: Entity[]): Promise<void> {
    const credentials = await this.credentials();
    const limit = pLimit(ENTITY_CONCURRENCY);
    await Promise.all(
      entities
        .filter(entity => !isModelEntity(entity))
        .map(e => limit(() => this.checkEntity(e, credentials, true))),
    );
  }

  private async checkEntity(
    entity: Entity,
    credentials: BackstageCredentials,
    onEvent = false,
  ): Promise<void> {
    const entityRef = stringifyEntityRef(entity);
    try {
      const observation = await this.options.observe(entity, credentials);
      await this.notify(entity, entityRef, observation);
      await this.signal(entityRef, observation, onEvent);
    } catch (error) {
      this.options.logger.warn(
        `Notifications: checking ${entityRef} failed: ${error}`,
      );
    }
  }

  private async notify(
    entity: Entity,
    entityRef: string,
    observation: Observation,
  ) {
    const { ledger, notifications, logger } = this.options;
    const owner = ownerOf(entity);
    // The first look at each section of an entity records its history without notifying (pending approvals still
    // notify). Per section: one that cannot be read yet (no access, not bound yet) must not keep the others silent,
    // nor tell its whole history the day it can be.
    const firstLook = new Set<keyof Observation>();
    for (const section of WATCHED_SECTIONS) {
      if (!(await ledger.isWatched(`${entityRef}#${section}`)))
        firstLook.add(section);
    }
    const events = detectEvents(
      {
        entityRef,
        kind: entity.kind,
        namespace: entity.metadata.namespace,
        name: entity.metadata.name,
        title: entity.metadata.title,
        endpointNames: endpointNames(entity),
      },
      observation,
    );
    for (const event of events) {
      if (firstLook.has(SECTION_OF[event.kind]) && event.historical) {
        await ledger.claim(event, false);
        continue;
      }
      if (!owner) continue;
      if (!(await ledger.claim(event))) continue;
      try {
        await notifications.send({
          recipients: { type: 'entity', entityRef: owner },
          payload: event.payload,
        });
        logger.info(
          `Notifications: told ${owner} '${event.payload.title}' (${event.kind})`,
        );
      } catch (error) {
        // Given back, so that the next run (on any instance) sends it.
        await ledger.release(event);
        logger.warn(
          `Notifications: could not send '${event.payload.title}' to ${owner}: ${error}`,
        );
      }
    }
    // A section that could not be read is looked at as for the first time again next run.
    for (const section of firstLook) {
      if (observation[section] !== undefined)
        await ledger.markWatched(`${entityRef}#${section}`);
    }
  }

  /**
   * Signals the sections that differ from what this instance saw last. An event on an entity this instance has not
   * seen yet (another one ran the schedule) signals every section it read: something changed a moment ago.
   */
  private async signal(
    entityRef: string,
    observation: Observation,
    onEvent: boolean,
  ) {
    const now = fingerprints(observation);
    const before = this.seen.get(entityRef);
    this.seen.set(entityRef, { ...before, ...now });
    if (!before && !onEvent) return;
    const sections = (Object.keys(now) as Section[]).filter(s =>
      before ? before[s] !== undefined && before[s] !== now[s] : true,
    );
    if (sections.length === 0) return;
    // A change made outside the portal (Studio, a pipeline) would otherwise reach the tab only when its cache expires.
    await this.options.invalidate?.(entityRef);
    if (!this.options.signals) return;
    const message: SageMakerMlflowSignal = { sections };
    // Everyone may learn that the entity's tab changed (not what): the tab reloads with its user's permissions.
    await this.options.signals.publish({
      recipients: { type: 'broadcast' },
      channel: signalChannel(entityRef),
      message,
    });
  }
}

/**
 * A `Resource` of type `ml-model`: an entity the catalog module makes of a registered model or package group. It
 * names the same resources as the component that binds it, and there are thousands: the watcher reads (and tells)
 * only through the components, so its page refreshes on its own polling, not on signals.
 */
function isModelEntity(entity: Entity): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'resource' &&
    entity.spec?.type === MODEL_RESOURCE_TYPE
  );
}

/** The names of the endpoints the entity's annotations name. */
function endpointNames(entity: Entity): string[] {
  const { endpoints } = readEntityBinding(entity);
  return endpoints.state === 'bound'
    ? endpoints.value.map(e => e.resourceName)
    : [];
}

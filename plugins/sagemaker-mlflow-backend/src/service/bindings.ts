import { ListTagsCommand } from '@aws-sdk/client-sagemaker';
import { NotAllowedError } from '@backstage/errors';
import type { ResourceBinding } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  awsCall,
  evaluateBinding,
  explainBinding,
  mlflowBindingTags,
  SageMakerArn,
  sagemakerBindingTags,
  unknownBinding,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import type { EntityContext } from './EntityContext';
import { RecentBindings } from './RecentBindings';
import type { ServiceDeps } from './types';

/** A resource an entity's annotations name, which its binding tag may bind to the entity. */
export type BindableResource =
  | { kind: 'pipeline' | 'model-package-group' | 'endpoint'; arn: SageMakerArn }
  | { kind: 'registered-model'; name: string };

const resourceId = (r: BindableResource) =>
  r.kind === 'registered-model' ? r.name : r.arn.arn;

/** The resource, unambiguously: a registered model is named within its tracking server. */
const resourceKey = (ctx: EntityContext, r: BindableResource) =>
  `${r.kind}:${
    r.kind === 'registered-model' ? `${ctx.binding.trackingServer}:` : ''
  }${resourceId(r)}`;

/**
 * Two-way binding: annotations name resources, the resource's binding tag names the entity back. Writes check it
 * fresh (a tag changed a second ago counts), except invocations, which may use this process's own reading of a
 * bound tag for `binding.invokeCacheSeconds`; the tab reads it with the same cache rules as the rest.
 */
export class ResourceBindings {
  private readonly recent: RecentBindings;

  constructor(
    private readonly deps: Pick<
      ServiceDeps,
      'config' | 'sagemaker' | 'mlflow' | 'cache'
    >,
  ) {
    this.recent = new RecentBindings(
      deps.config.bindingInvokeCacheSeconds * 1000,
    );
  }

  /** The resource's binding as the tab shows it (cached); a tag that cannot be read is `unknown`, not an error. */
  async read(
    ctx: EntityContext,
    resource: BindableResource,
  ): Promise<ResourceBinding> {
    return this.cached(ctx, resource).catch(error =>
      unknownBinding(resource.kind, resourceId(resource), error.message),
    );
  }

  /** The binding with the same cache rules as the rest; a failure to read it is the caller's to report. */
  private cached(ctx: EntityContext, resource: BindableResource) {
    return this.deps.cache.get(
      ctx.entityRef,
      `binding:${resourceKey(ctx, resource)}`,
      () => this.load(ctx, resource),
    );
  }

  /** Before a write: refuses (403, naming each one) unless every resource's tag, read now, names this entity. */
  async requireForWrite(
    ctx: EntityContext,
    ...resources: BindableResource[]
  ): Promise<void> {
    const bindings = await Promise.all(resources.map(r => this.load(ctx, r)));
    const refused = bindings.filter(b => b.state !== 'bound');
    if (refused.length > 0) {
      throw new NotAllowedError(
        `Refused: ${refused.map(explainBinding).join(' ')}`,
      );
    }
  }

  /**
   * Before an invocation: as {@link ResourceBindings.requireForWrite}, but a binding this process read as bound
   * within `binding.invokeCacheSeconds` counts without reading the tag again (one upstream round trip less per
   * invocation). An invocation changes no SageMaker or MLflow resource, so the cost of the window is bounded: after the tag is
   * removed, invocations go on for at most that long. Writes that change state never use it.
   */
  async requireForInvocation(
    ctx: EntityContext,
    resource: BindableResource,
  ): Promise<void> {
    // The entity is part of the key: a confirmation for one entity says nothing about another naming the same ARN.
    const key = `${ctx.entityRef}\n${resourceKey(ctx, resource)}`;
    if (this.recent.has(key)) return;
    await this.requireForWrite(ctx, resource);
    this.recent.confirm(key);
  }

  /** With `binding.requireForReads`: refuses (403) a read of a resource that does not name this entity. */
  async requireForRead(
    ctx: EntityContext,
    resource: BindableResource,
  ): Promise<void> {
    if (!this.deps.config.requireBindingForReads) return;
    // A resource that does not exist (yet) or an upstream failure keeps its own answer (404, 502), not a 403.
    const binding = await this.cached(ctx, resource);
    if (binding.state !== 'bound') {
      throw new NotAllowedError(
        `This portal shows only resources bound to their entity (sagemakerMlflow.binding.requireForReads). ${explainBinding(
          binding,
        )}`,
      );
    }
  }

  /** The binding tag read from SageMaker or MLflow, now. */
  private async load(
    ctx: EntityContext,
    resource: BindableResource,
  ): Promise<ResourceBinding> {
    if (resource.kind === 'registered-model') {
      const model = await this.deps.mlflow
        .forServer(ctx.binding.trackingServer)
        .getRegisteredModel(resource.name);
      return this.fromMlflowTags(ctx, resource.name, model.tags);
    }
    const sm = await this.deps.sagemaker.sagemaker(resource.arn);
    const res = await awsCall('SageMaker ListTags', () =>
      sm.send(new ListTagsCommand({ ResourceArn: resource.arn.arn })),
    );
    return evaluateBinding(
      resource.kind,
      resource.arn.arn,
      ctx.entityRef,
      sagemakerBindingTags(res.Tags),
    );
  }

  /** The registered model's binding from tags already read (the versions page has them). */
  fromMlflowTags(
    ctx: EntityContext,
    name: string,
    tags: Array<{ key: string; value: string }> | undefined,
  ): ResourceBinding {
    return evaluateBinding(
      'registered-model',
      name,
      ctx.entityRef,
      mlflowBindingTags(tags),
    );
  }
}

import {
  BackstageCredentials,
  coreServices,
  createBackendModule,
  createServiceFactory,
  PermissionsService,
  PermissionsServiceRequestOptions,
  RootConfigService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  isResourcePermission,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
  ServerPermissionClient,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  createScaffolderTaskConditionalDecision,
  scaffolderTaskConditions,
} from '@backstage/plugin-scaffolder-backend/alpha';
import { sagemakerMlflowPermissions } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  readSageMakerMlflowConfig,
  serviceSubject,
} from '@model-factory/plugin-sagemaker-mlflow-node';

const ALLOW = { result: AuthorizeResult.ALLOW } as const;
const DENY = { result: AuthorizeResult.DENY } as const;

/** Model Factory's writes: start/stop a pipeline, approve a model version, invoke an endpoint. */
const MODEL_FACTORY_WRITES = new Set(
  sagemakerMlflowPermissions.map(p => p.name),
);

/** Changes to one catalog entity: for its owners (or admins). */
const ENTITY_OWNER_ONLY = new Set([
  ...MODEL_FACTORY_WRITES,
  'catalog.entity.delete',
  'catalog.entity.refresh',
]);

/** A scaffolder task's log holds what its creator typed: only they (or admins) may read or cancel it. */
const TASK_CREATOR_ONLY = new Set([
  'scaffolder.task.read',
  'scaffolder.task.cancel',
]);

/**
 * What every signed-in user may do besides reading. Creating a location is here because the scaffolder's
 * catalog:register needs it for the user who runs a template; what a user-registered location may bring into
 * the catalog is limited by `catalog.rules` (app-config.yaml), not here.
 */
const SIGNED_IN = new Set([
  'catalog.entity.create',
  'catalog.entity.validate',
  'catalog.location.create',
  'catalog.location.analyze',
  'scaffolder.task.create',
  'scaffolder.action.execute',
  'scaffolder.template.parameter.read',
  'scaffolder.template.step.read',
]);
// Everything else that is not a read is for admins only: catalog.location.delete (it unregisters every entity
// of a location), catalog.ingestion.manage, scaffolder.template.management and scaffolder.template.dry-run (the
// template editor runs template text typed in the browser, outside the admin-controlled template locations).

/**
 * Writes that a service principal (a plugin, an external static token) may use only when configured by name:
 * Backstage's permissions service decides service principals without asking this policy.
 */
const SERVICE_PRINCIPAL_GUARDED = new Set([
  ...MODEL_FACTORY_WRITES,
  'catalog.entity.delete',
  'catalog.location.delete',
]);

const GROUP_REF = /^group:[^:/]+\/[^:/]+$/;

/** `sagemakerMlflow.permissions.adminGroups`, lower-cased like the ownership refs in users' tokens. */
export function readAdminGroups(config: RootConfigService): string[] {
  const groups =
    config.getOptionalStringArray('sagemakerMlflow.permissions.adminGroups') ??
    [];
  for (const group of groups) {
    if (!GROUP_REF.test(group)) {
      // A bare name would silently match nobody: refuse it at start-up instead.
      throw new Error(
        `sagemakerMlflow.permissions.adminGroups: '${group}' is not a group entity ref like group:default/platform-admins`,
      );
    }
  }
  return groups.map(g => g.toLocaleLowerCase('en-US'));
}

/**
 * Model Factory's least-privilege policy for users (service principals never reach a policy: see
 * {@link servicePrincipalPermissionsServiceFactory}). Reads for every signed-in user; entity changes and Model
 * Factory's writes for the entity's owners; scaffolder tasks for their creator; location deletion and the
 * template editor for admins; admins (members of `sagemakerMlflow.permissions.adminGroups`) may do everything.
 * Anything not named here that is not a read is refused, so a newly installed plugin's writes start closed.
 */
export class ModelFactoryPermissionPolicy implements PermissionPolicy {
  private readonly adminGroups: string[];

  constructor(
    private readonly userInfo: UserInfoService,
    options: { adminGroups?: string[] } = {},
  ) {
    this.adminGroups = (options.adminGroups ?? []).map(g =>
      g.toLocaleLowerCase('en-US'),
    );
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    // No user: an unauthenticated request (only possible with the default auth policy disabled).
    if (!user) {
      return DENY;
    }
    const { permission } = request;
    const { userEntityRef, ownershipEntityRefs } =
      await this.userInfo.getUserInfo(user.credentials);
    if (
      ownershipEntityRefs.some(ref =>
        this.adminGroups.includes(ref.toLocaleLowerCase('en-US')),
      )
    ) {
      return ALLOW;
    }

    if (ENTITY_OWNER_ONLY.has(permission.name)) {
      if (!isResourcePermission(permission, 'catalog-entity')) {
        return DENY;
      }
      return createCatalogConditionalDecision(
        permission,
        catalogConditions.isEntityOwner({ claims: ownershipEntityRefs }),
      );
    }
    if (TASK_CREATOR_ONLY.has(permission.name)) {
      if (!isResourcePermission(permission, 'scaffolder-task')) {
        return DENY;
      }
      return createScaffolderTaskConditionalDecision(
        permission,
        scaffolderTaskConditions.isTaskOwner({ createdBy: [userEntityRef] }),
      );
    }
    if (SIGNED_IN.has(permission.name) || isRead(permission)) {
      return ALLOW;
    }
    return DENY;
  }
}

function isRead(permission: Permission) {
  return permission.attributes.action === 'read';
}

export const modelFactoryPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'model-factory-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        userInfo: coreServices.userInfo,
        config: coreServices.rootConfig,
      },
      async init({ policy, userInfo, config }) {
        policy.setPolicy(
          new ModelFactoryPermissionPolicy(userInfo, {
            adminGroups: readAdminGroups(config),
          }),
        );
      },
    });
  },
});

/**
 * Backstage's permissions service with one addition. Its ServerPermissionClient answers a service principal
 * itself, ALLOW unless the principal's token has access restrictions, and never asks the permission policy
 * (which could not tell who the service is anyway: the permission backend only passes users to it). So a
 * plugin, or any external static token, could delete any entity or location, or start any pipeline. Here the
 * writes in SERVICE_PRINCIPAL_GUARDED are refused to service principals not listed in
 * `sagemakerMlflow.permissions.servicePrincipals`; everything else (reads above all: the search collator,
 * the catalog's own calls) is decided exactly as before.
 */
class ServicePrincipalGuard implements PermissionsService {
  constructor(
    private readonly inner: PermissionsService,
    private readonly allowed: Set<string>,
  ) {}

  authorize: PermissionsService['authorize'] = async (requests, options) =>
    this.guard(
      requests,
      options,
      await this.inner.authorize(requests, options),
    );

  authorizeConditional: PermissionsService['authorizeConditional'] = async (
    requests,
    options,
  ) =>
    this.guard(
      requests,
      options,
      await this.inner.authorizeConditional(requests, options),
    );

  private guard<T>(
    requests: Array<{ permission: Permission }>,
    options: PermissionsServiceRequestOptions | undefined,
    decisions: T[],
  ): T[] {
    const credentials: BackstageCredentials | undefined =
      options && 'credentials' in options ? options.credentials : undefined;
    const subject = serviceSubject(credentials);
    if (subject === undefined || this.allowed.has(subject)) {
      return decisions;
    }
    return decisions.map((decision, i) =>
      SERVICE_PRINCIPAL_GUARDED.has(requests[i].permission.name)
        ? ({ result: AuthorizeResult.DENY } as T)
        : decision,
    );
  }
}

/** Replaces the default permissions service (backend-defaults' permissionsServiceFactory) for every plugin. */
export const servicePrincipalPermissionsServiceFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {
    auth: coreServices.auth,
    config: coreServices.rootConfig,
    discovery: coreServices.discovery,
  },
  async factory({ auth, config, discovery }) {
    // Exactly what backend-defaults builds (@backstage/backend-defaults/permissions), wrapped.
    const inner = ServerPermissionClient.fromConfig(config, {
      auth,
      discovery,
    });
    return new ServicePrincipalGuard(
      inner,
      new Set(readSageMakerMlflowConfig(config).servicePrincipals),
    );
  },
});

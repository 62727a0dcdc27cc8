import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { ModelFactoryPermissionPolicy } from '../permissionPolicy';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';

/**
 * Backend-test-utils' mock auth turns a token a plugin obtained on behalf of a user back into a bare user,
 * without the acting plugin. Real auth keeps the plugin as the `actor`, and the permission backend refuses
 * conditional decisions for users without one. This shim restores that one fact so the real permission
 * backend, the real catalog and the shipped policy can run together in a test.
 */
export const authWithActorsFactory = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }) {
    const inner = mockServices.auth({ pluginId: plugin.getId() });
    const prefix = 'mock-service-token:';
    return Object.assign(Object.create(inner), {
      async authenticate(
        token: string,
        options?: { allowLimitedAccess?: boolean },
      ) {
        if (token.startsWith(prefix)) {
          const { sub, obo } = JSON.parse(token.slice(prefix.length));
          if (obo) {
            await inner.authenticate(token, options); // keeps its target-plugin check
            return mockCredentials.user(obo, { actor: { subject: sub } });
          }
        }
        return inner.authenticate(token, options);
      },
    });
  },
});

/** Backstage's own HTTP auth, so incoming tokens go through the auth service above. */
export { httpAuthServiceFactory };

/**
 * What the auth backend's sign-in resolver puts in a user's token: the user and their groups, as in
 * dev/catalog/org.yaml. (Real tokens carry these claims; the mock tokens of backend-test-utils cannot.)
 */
export const userInfoFromOrgFactory = (groups: Record<string, string[]>) =>
  createServiceFactory({
    service: coreServices.userInfo,
    deps: {},
    factory() {
      return {
        async getUserInfo(credentials: any) {
          const userEntityRef = credentials.principal.userEntityRef;
          return {
            userEntityRef,
            ownershipEntityRefs: [
              userEntityRef,
              ...(groups[userEntityRef] ?? []),
            ],
          };
        },
      };
    },
  });

/** A user who may read only the entities they own (none): proves reads follow the catalog. */
export const OUTSIDER = 'user:default/outsider';

/** The shipped policy, plus: the outsider may read only what they own (nothing), to prove reads follow the catalog. */
export const testPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'test-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, userInfo: coreServices.userInfo },
      async init({ policy, userInfo }) {
        const shipped = new ModelFactoryPermissionPolicy(userInfo);
        policy.setPolicy({
          async handle(req, user) {
            if (
              req.permission.name === catalogEntityReadPermission.name &&
              user?.info.userEntityRef === OUTSIDER
            ) {
              return createCatalogConditionalDecision(
                catalogEntityReadPermission,
                catalogConditions.isEntityOwner({ claims: [OUTSIDER] }),
              );
            }
            return shipped.handle(req, user);
          },
        });
      },
    });
  },
});

/** What a plugin gave the auditor: each event, its meta, and how it ended. */
export type AuditRecord = {
  eventId: string;
  meta?: object;
  succeeded?: any;
  failed?: string;
};

/** An auditor that records into `audited` (in place of the default one, which only logs). */
export function recordingAuditorFactory(audited: AuditRecord[]) {
  return createServiceFactory({
    service: coreServices.auditor,
    deps: {},
    factory: () => ({
      async createEvent(options) {
        const event: AuditRecord = {
          eventId: options.eventId,
          meta: options.meta,
        };
        audited.push(event);
        return {
          async success(outcome) {
            event.succeeded = outcome?.meta ?? {};
          },
          async fail(outcome) {
            event.failed = outcome.error.message;
          },
        };
      },
    }),
  });
}

import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { NotAllowedError } from '@backstage/errors';

// Why write routes need this: Backstage's permissions service (ServerPermissionClient in
// @backstage/plugin-permission-node) answers a service principal by itself, ALLOW unless its token carries
// access restrictions, without asking the permission policy; and the permission backend passes only users to a
// policy. So nothing in the framework stops a plugin or an external static token from using a write route: the
// route must refuse service principals that `sagemakerMlflow.permissions.servicePrincipals` does not list.

function serviceSubject(credentials: BackstageCredentials): string | undefined {
  const principal = credentials.principal as {
    type?: string;
    subject?: string;
  };
  return principal?.type === 'service' ? principal.subject ?? '' : undefined;
}

/**
 * Whether the credentials are a service principal listed in `sagemakerMlflow.permissions.servicePrincipals`
 * (e.g. `plugin:scaffolder`, or an external static token's subject such as `external:ci-bot`). Users: false
 * (they are not service principals; the permission policy decides for them).
 */
export function isServicePrincipalAllowed(
  config: Config,
  credentials: BackstageCredentials,
): boolean {
  const subject = serviceSubject(credentials);
  if (!subject) {
    return false;
  }
  const allowed =
    config.getOptionalStringArray(
      'sagemakerMlflow.permissions.servicePrincipals',
    ) ?? [];
  return allowed.includes(subject);
}

/**
 * For a write route, next to `permissions.authorize`: throws NotAllowedError (403) for a service principal
 * that is not listed, does nothing for users (the permission policy decides for them) and listed services.
 */
export function refuseUnlistedServicePrincipal(
  config: Config,
  credentials: BackstageCredentials,
  permissionName: string,
): void {
  const subject = serviceSubject(credentials);
  if (
    subject !== undefined &&
    !isServicePrincipalAllowed(config, credentials)
  ) {
    throw new NotAllowedError(
      `Service principal '${subject}' may not use ${permissionName}: only those listed in sagemakerMlflow.permissions.servicePrincipals may`,
    );
  }
}

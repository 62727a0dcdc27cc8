import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';

// Why write routes need this: Backstage's permissions service (ServerPermissionClient in
// @backstage/plugin-permission-node) answers a service principal by itself, ALLOW unless its token carries
// access restrictions, without asking the permission policy; and the permission backend passes only users to a
// policy. So nothing in the framework stops a plugin or an external static token from using a write route: the
// route must refuse service principals that `sagemakerMlflow.permissions.servicePrincipals` does not list.

/** The subject of a service principal (`plugin:<id>`, an external token's subject); undefined for anyone else. */
export function serviceSubject(
  credentials: BackstageCredentials | undefined,
): string | undefined {
  const principal = credentials?.principal as
    | { type?: string; subject?: string }
    | undefined;
  return principal?.type === 'service' ? principal.subject ?? '' : undefined;
}

/**
 * For a write, next to `permissions.authorize`: throws NotAllowedError (403) for a service principal that is not
 * in `allowed` (`sagemakerMlflow.permissions.servicePrincipals`), does nothing for users (the permission policy
 * decides for them) and listed services.
 */
export function refuseUnlistedServicePrincipal(
  allowed: string[],
  credentials: BackstageCredentials,
  permissionName: string,
): void {
  const subject = serviceSubject(credentials);
  if (subject !== undefined && !allowed.includes(subject)) {
    throw new NotAllowedError(
      `Service principal '${subject}' may not use ${permissionName}: only those listed in sagemakerMlflow.permissions.servicePrincipals may`,
    );
  }
}

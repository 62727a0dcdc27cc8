import { NotFoundError } from '@backstage/errors';
import {
  AwsCredentialsMissingError,
  keepForLogOnly,
  UpstreamError,
  UpstreamThrottledError,
} from '../errors';
import { isUnreachable } from '../faults/CircuitBreaker';

/** Where a call went: the account and region of the ARN it was about, and whether an emulator took every region. */
export interface AwsCallTarget {
  account: string;
  region: string;
  endpointOverride?: boolean;
}

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
]);

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

/**
 * Keeps an upstream's own words for the logs only: on a non-enumerable `cause`, which Backstage's error
 * serialisation (serialize-error: own enumerable properties, name, message, stack, code) never sends, while
 * winston logs `meta.cause` of an error it is given (`logger.error(msg, error)`) whether enumerable or not. A
 * plain `{ name, message }` rather than an Error, so a JSON log line shows its text (an Error serialises to {}).
 */
export function withLoggedDetail<E extends Error>(
  error: E,
  detail: { name: string; message: string },
): E {
  keepForLogOnly(error, detail);
  return error;
}

/**
 * AWS refused the portal's own identity. Its message names that identity (`User: arn:aws:sts::<account>:
 * assumed-role/<role>/<session> is not authorized to perform: <action> on resource: <arn> because ...`), which
 * is for operators, not for every reader of an entity page: the answer says which operation on which resource was
 * refused, the full text goes to the logs. A 502 like other upstream failures, not a 403: the caller is not the
 * one refused (their own permission was already checked), and a 403 would read as theirs.
 */
function accessDenied(
  service: string,
  name: string,
  message: string,
  target?: AwsCallTarget,
) {
  const refused =
    /not authorized to perform:?\s+([\w-]+:[\w*]+)(?:\s+on resource:?\s+(arn:[^\s,;]+?))?\.?(?:[\s,;]|$)/i.exec(
      message,
    );
  const operation = refused?.[1] ?? service.split(' ')[1] ?? service;
  // Only a SageMaker resource is named back: it comes from the entity's own annotations. An IAM role (a refused
  // sts:AssumeRole) would name the portal's roles.
  const resource = /^arn:[\w-]+:sagemaker:/.test(refused?.[2] ?? '')
    ? ` on ${refused![2]}`
    : '';
  return withLoggedDetail(
    new UpstreamError(
      service,
      `the portal's AWS role may not call ${operation}${resource}`,
      undefined,
      undefined,
      {
        code: 'access-denied',
        fix: `allow ${operation}${
          resource || ' on the resource'
        } in the IAM policy of the role the portal uses for account ${
          target?.account ?? 'of the resource'
        } (see the README's list of actions)`,
        account: target?.account,
        region: target?.region,
      },
    ),
    { name, message },
  );
}

/** Errors already mapped (ours, or the SDK's mapped by the client's middleware) pass through unchanged. */
function isMapped(error: unknown): error is Error {
  return (
    error instanceof UpstreamError ||
    error instanceof UpstreamThrottledError ||
    error instanceof AwsCredentialsMissingError ||
    error instanceof NotFoundError
  );
}

/**
 * Turns an AWS SDK error into the error the backend answers with: 404, 503 with a retry hint, 400 for an account
 * without credentials, or 502; each carries the code a section error shows. `target` (known to the client's
 * middleware) lets the error name the account and region.
 */
export function toUpstreamError(
  service: string,
  error: unknown,
  target?: AwsCallTarget,
): Error {
  // Already mapped (the request's deadline, an open circuit breaker, the client's middleware): it says what happened.
  if (isMapped(error)) return error;
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: { throttling?: boolean };
  };
  if (
    THROTTLING.has(e.name ?? '') ||
    e.$retryable?.throttling ||
    e.$metadata?.httpStatusCode === 429
  ) {
    return new UpstreamThrottledError(service, 5, error);
  }
  if (e.name === 'CredentialsProviderError') {
    // The account's credentials (a role to assume, the default chain) could not be had when the call was made.
    const account = target?.account ?? 'of this resource';
    return withLoggedDetail(
      new AwsCredentialsMissingError(
        target?.account ?? '?',
        target?.region ?? '?',
        `${service}: the portal's AWS credentials for account ${account}${
          target ? ` in ${target.region}` : ''
        } could not be loaded`,
      ),
      { name: e.name, message: e.message ?? '' },
    );
  }
  if (ACCESS_DENIED.has(e.name ?? '') || e.$metadata?.httpStatusCode === 403) {
    return accessDenied(
      service,
      e.name ?? 'AccessDenied',
      e.message ?? String(error),
      target,
    );
  }
  if (
    target &&
    !target.endpointOverride &&
    /^(ENOTFOUND|EAI_AGAIN)$/.test(networkCode(e))
  ) {
    // The region's API host does not resolve: a mistyped region in the ARN (or no DNS from the portal at all).
    return new UpstreamError(
      service,
      `no SageMaker API answers for region ${target.region}`,
      error,
      undefined,
      {
        code: 'unknown-region',
        fix: `check the region in the entity's ARN (${target.region}); if it is right, check the portal's network access to AWS`,
        account: target.account,
        region: target.region,
      },
    );
  }
  if (isUnreachable(error) || networkCode(e)) {
    return new UpstreamError(
      service,
      `no answer (${networkCode(e) || e.name || 'connection failed'})`,
      error,
      undefined,
      {
        code: 'unavailable',
        fix: `check that ${service.split(' ')[0]} is reachable from the portal`,
        account: target?.account,
        region: target?.region,
      },
    );
  }
  if (
    e.name === 'ResourceNotFound' ||
    e.name === 'ResourceNotFoundException' ||
    (e.name === 'ValidationException' &&
      /does not exist|not found|could not find/i.test(e.message ?? ''))
  ) {
    return new NotFoundError(`${service}: ${e.message}`);
  }
  if (/Deserialization error/.test(e.message ?? '')) {
    // The service answered with something other than an API response (an HTML error page, say). The SDK's
    // parse failure is not chained on: it says nothing to a reader beyond "that was not JSON".
    return new UpstreamError(
      service,
      `HTTP ${e.$metadata?.httpStatusCode ?? '?'} without an API response`,
    );
  }
  return new UpstreamError(
    service,
    `${e.name ?? 'Error'}: ${e.message ?? String(error)}`,
    error,
  );
}

/**
 * The system error code of a network failure. The SDK's retry layer wraps an error from another realm (which is not
 * `instanceof Error`) in one whose message alone still names the code.
 */
function networkCode(e: { code?: string; message?: string }): string {
  if (e.code && /^E[A-Z_]+$/.test(e.code)) return e.code;
  return (
    /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|EPIPE)\b/.exec(
      e.message ?? '',
    )?.[1] ?? ''
  );
}

/** Runs one AWS call and maps its failure with {@link toUpstreamError}. */
export async function awsCall<T>(
  service: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toUpstreamError(service, error);
  }
}

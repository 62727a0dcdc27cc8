import { NotFoundError } from '@backstage/errors';
import { UpstreamError, UpstreamThrottledError } from '../errors';

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
  Object.defineProperty(error, 'cause', {
    value: detail,
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return error;
}

/**
 * AWS refused the portal's own identity. Its message names that identity (`User: arn:aws:sts::<account>:
 * assumed-role/<role>/<session> is not authorized to perform: <action> on resource: <arn> because ...`), which
 * is for operators, not for every reader of an entity page: the answer says which operation on which resource was
 * refused, the full text goes to the logs. A 502 like other upstream failures, not a 403: the caller is not the
 * one refused (their own permission was already checked), and a 403 would read as theirs.
 */
function accessDenied(service: string, name: string, message: string) {
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
    ),
    { name, message },
  );
}

/** Turns an AWS SDK error into the error the backend answers with: 404, 503 with a retry hint, or 502. */
export function toUpstreamError(service: string, error: unknown): Error {
  // Already ours (the request's deadline, an open circuit breaker): it says what happened.
  if (error instanceof UpstreamError) return error;
  const e = error as {
    name?: string;
    message?: string;
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
    return withLoggedDetail(
      new UpstreamError(
        service,
        "the portal's AWS credentials for this account could not be loaded (check the aws config: aws.accounts, aws.mainAccount)",
      ),
      { name: e.name, message: e.message ?? '' },
    );
  }
  if (ACCESS_DENIED.has(e.name ?? '') || e.$metadata?.httpStatusCode === 403) {
    return accessDenied(
      service,
      e.name ?? 'AccessDenied',
      e.message ?? String(error),
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

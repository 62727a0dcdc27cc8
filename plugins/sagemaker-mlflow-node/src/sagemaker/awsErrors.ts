import { NotFoundError } from '@backstage/errors';
import { UpstreamError, UpstreamThrottledError } from '../errors';

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

/** Turns an AWS SDK error into the error the backend answers with: 404, 503 with a retry hint, or 502. */
export function toUpstreamError(service: string, error: unknown): Error {
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

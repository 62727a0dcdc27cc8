import { CustomErrorBase, InputError } from '@backstage/errors';

/**
 * Keeps an error's cause for the log only: non-enumerable, so Backstage's error serialisation (own enumerable
 * properties) never sends it, while winston still logs it. Passed to `super` instead, a cause would also be
 * appended to the message ("; caused by ...") that the answer carries: the SDK's network errors name hosts.
 */
export function keepForLogOnly(error: Error, cause: unknown) {
  if (cause === undefined) return;
  Object.defineProperty(error, 'cause', {
    value: cause,
    enumerable: false,
    configurable: true,
    writable: true,
  });
}

/** What kind of upstream failure an error is; a section error carries it as its `code` (-common SectionErrorCode). */
export type UpstreamErrorCode =
  | 'missing-credentials'
  | 'access-denied'
  | 'unknown-region'
  | 'timeout'
  | 'unavailable'
  | 'upstream';

/** What an upstream error knows beyond its message: its kind, what would fix it, the account and region. */
export interface UpstreamErrorDetails {
  code?: UpstreamErrorCode;
  fix?: string;
  account?: string;
  region?: string;
}

/**
 * An upstream service (SageMaker, MLflow, a model endpoint) failed or answered with an error. The backend answers
 * 502 with this message: the request was fine, the service behind it was not.
 */
export class UpstreamError extends CustomErrorBase {
  name = 'UpstreamError' as const;
  readonly code: UpstreamErrorCode;
  readonly fix?: string;
  readonly account?: string;
  readonly region?: string;
  constructor(
    readonly service: string,
    message: string,
    cause?: unknown,
    /** The HTTP status the service answered with, when it answered. */
    readonly upstreamStatus?: number,
    details: UpstreamErrorDetails = {},
  ) {
    // The cause is for the log: not appended to the message nor serialised into an answer (it may name hosts).
    super(`${service}: ${message}`);
    keepForLogOnly(this, cause);
    this.code = details.code ?? 'upstream';
    this.fix = details.fix;
    this.account = details.account;
    this.region = details.region;
  }
}

/** The upstream service throttled us; retrying after `retryAfterSeconds` may succeed (→ 503). */
export class UpstreamThrottledError extends CustomErrorBase {
  name = 'UpstreamThrottledError' as const;
  readonly code = 'throttled' as const;
  constructor(
    readonly service: string,
    readonly retryAfterSeconds: number,
    cause?: unknown,
  ) {
    super(`${service} is throttling requests; retry in ${retryAfterSeconds}s`);
    keepForLogOnly(this, cause);
  }
}

/**
 * The portal has no AWS credentials for an account an entity's ARN names (the `aws` config lacks it, or its
 * credentials could not be loaded). A 400 where a route as a whole depends on it (a write); a section error naming
 * the account, region and the config to add where only one section does.
 */
export class AwsCredentialsMissingError extends InputError {
  readonly code = 'missing-credentials' as const;
  readonly fix: string;
  constructor(
    readonly account: string,
    readonly region: string,
    message: string,
    cause?: unknown,
  ) {
    super(message);
    keepForLogOnly(this, cause);
    this.fix = `add account ${account} to the portal's aws config (an aws.accounts entry with accountId ${account} and a roleName or accessKeyId/secretAccessKey, or aws.mainAccount; see @backstage/integration-aws-node), or fix the entity's annotation if the account is wrong`;
  }
}

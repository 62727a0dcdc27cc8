import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { AwsCredentialsManager } from '@backstage/integration-aws-node';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { SageMakerArn } from '../arn';
import { CircuitBreaker } from '../faults/CircuitBreaker';
import { AwsCredentialsMissingError } from '../errors';
import { beforeDeadline, requestDeadline } from '../faults/requestDeadline';
import { toUpstreamError } from './awsErrors';

/**
 * The SDK's HTTP handler, aborting a request at the request's deadline: a hung call's socket is closed, not left
 * open behind an answer that has already been sent.
 */
class DeadlineAwareHttpHandler extends NodeHttpHandler {
  handle(
    request: Parameters<NodeHttpHandler['handle']>[0],
    options: Parameters<NodeHttpHandler['handle']>[1] = {},
  ) {
    const deadline = requestDeadline();
    return super.handle(
      request,
      deadline && !options.abortSignal
        ? { ...options, abortSignal: deadline.signal }
        : options,
    );
  }
}

/**
 * AWS SDK v3 clients per account and region, with credentials for the ARN's account from
 * @backstage/integration-aws-node (multi-account), adaptive retry and timeouts.
 */
export class SageMakerClients {
  private readonly sagemakerClients = new Map<
    string,
    Promise<SageMakerClient>
  >();
  private readonly runtimeClients = new Map<
    string,
    Promise<SageMakerRuntimeClient>
  >();

  constructor(
    private readonly options: {
      credentialsManager: AwsCredentialsManager;
      /** Only for an emulator: every region and account is sent here. */
      endpoint?: string;
      timeoutMs: number;
      invokeTimeoutMs: number;
      maxAttempts?: number;
      /** When a region's SageMaker API that stopped answering is left alone. */
      breaker?: { failures: number; coolDownMs: number };
    },
  ) {}

  private readonly breakers = new Map<string, CircuitBreaker>();

  sagemaker(arn: SageMakerArn): Promise<SageMakerClient> {
    return this.cached(this.sagemakerClients, arn, async credentials => {
      const client = new SageMakerClient({
        ...this.common(arn, this.options.timeoutMs),
        credentials,
      });
      // Outermost, around retries too: a call gives up at the request's deadline, and fails fast while the
      // region's API has not answered its last calls (the SDK's own timeouts did not bound a hung server). Its
      // failure is mapped here, where the account and region are known, to the error that says what to fix.
      const breaker = this.breakerOf(arn);
      const target = {
        account: arn.accountId,
        region: arn.region,
        endpointOverride: Boolean(this.options.endpoint),
      };
      client.middlewareStack.add(
        (next, context) => async args => {
          const service = `SageMaker ${context.commandName?.replace(
            /Command$/,
            '',
          )}`;
          const call = () => beforeDeadline(service, next(args));
          try {
            return await (breaker ? breaker.run(call) : call());
          } catch (error) {
            throw toUpstreamError(service, error, target);
          }
        },
        { step: 'initialize', name: 'modelFactoryDeadlineAndBreaker' },
      );
      return client;
    });
  }

  private breakerOf(arn: SageMakerArn): CircuitBreaker | undefined {
    if (!this.options.breaker) return undefined;
    const key = `${arn.partition}:${arn.region}`;
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(
        `SageMaker API of ${arn.region}`,
        this.options.breaker,
      );
      this.breakers.set(key, breaker);
    }
    return breaker;
  }

  runtime(arn: SageMakerArn): Promise<SageMakerRuntimeClient> {
    return this.cached(
      this.runtimeClients,
      arn,
      async credentials =>
        new SageMakerRuntimeClient({
          ...this.common(arn, this.options.invokeTimeoutMs),
          credentials,
          // An invocation is not idempotent in general: never retried behind the user's back.
          maxAttempts: 1,
        }),
    );
  }

  private common(arn: SageMakerArn, timeoutMs: number) {
    return {
      region: arn.region,
      endpoint: this.options.endpoint,
      retryMode: 'adaptive',
      maxAttempts: this.options.maxAttempts ?? 3,
      requestHandler: new DeadlineAwareHttpHandler({
        connectionTimeout: Math.min(timeoutMs, 5000),
        requestTimeout: timeoutMs,
        // Without it a request past requestTimeout only logs a warning and waits on: outside an HTTP request's
        // deadline (scaffolder actions, the search collator) a hung API was never given up on.
        throwOnRequestTimeout: true,
      }),
    };
  }

  private cached<T>(
    cache: Map<string, Promise<T>>,
    arn: SageMakerArn,
    create: (credentials: any) => Promise<T>,
  ): Promise<T> {
    const key = `${arn.partition}:${arn.accountId}:${arn.region}`;
    let client = cache.get(key);
    if (!client) {
      client = this.options.credentialsManager
        .getCredentialProvider({ arn: arn.arn })
        .catch(error => {
          // An ARN in an account the portal has no credentials for: the annotation is mistyped, or the aws config
          // lacks the account (the SDK alone would say "Could not load credentials from any providers").
          throw new AwsCredentialsMissingError(
            arn.accountId,
            arn.region,
            `The portal has no AWS credentials for account ${arn.accountId} (region ${arn.region}, of ${arn.arn}): add the account to the aws config (aws.accounts)`,
            error,
          );
        })
        .then(provider => create(provider.sdkCredentialProvider));
      // A failed credential lookup is not remembered.
      client.catch(() => cache.delete(key));
      cache.set(key, client);
    }
    return client;
  }
}

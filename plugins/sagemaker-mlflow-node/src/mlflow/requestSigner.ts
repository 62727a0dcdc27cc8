import { Sha256 } from '@aws-crypto/sha256-js';
import type { AwsCredentialsManager } from '@backstage/integration-aws-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { MlflowAuthConfig } from '../config';

export interface MlflowRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** Adds the credentials a tracking server expects to one request. */
export type MlflowRequestSigner = (
  request: MlflowRequest,
) => Promise<Record<string, string>>;

/** Header that routes a SigV4 request to one managed (SageMaker) MLflow tracking server. */
export const TRACKING_SERVER_ARN_HEADER = 'x-mlflow-sm-tracking-server-arn';

export function createRequestSigner(
  auth: MlflowAuthConfig,
  credentialsManager?: AwsCredentialsManager,
): MlflowRequestSigner {
  switch (auth.type) {
    case 'none':
      return async ({ headers }) => headers;
    case 'basic': {
      const value = `Basic ${Buffer.from(
        `${auth.username}:${auth.password}`,
      ).toString('base64')}`;
      return async ({ headers }) => ({ ...headers, authorization: value });
    }
    case 'bearer':
      return async ({ headers }) => ({
        ...headers,
        authorization: `Bearer ${auth.token}`,
      });
    case 'aws-sigv4':
      return createSigV4Signer(auth, credentialsManager);
    default:
      throw new Error(`unknown MLflow auth type`);
  }
}

function createSigV4Signer(
  auth: Extract<MlflowAuthConfig, { type: 'aws-sigv4' }>,
  credentialsManager?: AwsCredentialsManager,
): MlflowRequestSigner {
  if (!credentialsManager) {
    throw new Error('aws-sigv4 MLflow auth needs the AWS credentials manager');
  }
  const region = auth.region ?? auth.trackingServerArn.split(':')[3];
  let signer: Promise<SignatureV4> | undefined;
  const getSigner = () =>
    (signer ??= credentialsManager
      .getCredentialProvider({ arn: auth.trackingServerArn })
      .then(
        provider =>
          new SignatureV4({
            service: 'sagemaker-mlflow',
            region,
            credentials: provider.sdkCredentialProvider,
            sha256: Sha256,
          }),
      ));
  return async ({ method, url, headers, body }) => {
    const signed = await (
      await getSigner()
    ).sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: {
        ...headers,
        host: url.host,
        [TRACKING_SERVER_ARN_HEADER]: auth.trackingServerArn,
      },
      body,
    });
    return signed.headers;
  };
}

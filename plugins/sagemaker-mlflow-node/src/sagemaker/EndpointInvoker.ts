import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import type { SageMakerArn } from '../arn';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../config';
import { UpstreamError } from '../errors';
import {
  capResponseBody,
  readCapped,
  ResponseTooLargeError,
} from '../responseLimit';
import { toUpstreamError } from './awsErrors';
import type { SageMakerClients } from './SageMakerClients';

export interface EndpointInvocation {
  statusCode: number;
  contentType: string;
  body: Buffer;
  latencyMs: number;
}

/**
 * Sends one request to a model endpoint: through SageMaker's InvokeEndpoint, or, for endpoints listed in
 * `sagemakerMlflow.endpointRoutes`, to an MLflow-protocol HTTP server (`POST <url>/invocations`). Either answer
 * is read up to `maxResponseBytes` (sagemakerMlflow.limits.maxResponseBytes), no further.
 */
export class EndpointInvoker {
  constructor(
    private readonly options: {
      clients: SageMakerClients;
      /** Endpoint ARN → server URL: the same name in another account or region is another endpoint. */
      routes: Map<string, string>;
      timeoutMs: number;
      maxResponseBytes?: number;
    },
  ) {}

  private get maxResponseBytes() {
    return this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  async invoke(
    endpoint: SageMakerArn,
    body: Buffer,
    contentType: string,
  ): Promise<EndpointInvocation> {
    const route = this.options.routes.get(endpoint.arn);
    return route
      ? this.invokeRoute(endpoint.resourceName, route, body, contentType)
      : this.invokeSageMaker(endpoint, body, contentType);
  }

  private async invokeRoute(
    name: string,
    url: string,
    body: Buffer,
    contentType: string,
  ): Promise<EndpointInvocation> {
    const started = performance.now();
    let res: Response;
    try {
      res = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': contentType, accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new UpstreamError(
        `endpoint ${name}`,
        `cannot be reached (${
          (error as any).cause?.code ?? (error as Error).message
        })`,
        error,
      );
    }
    const answer = await readCapped(
      res,
      this.maxResponseBytes,
      `endpoint ${name}`,
    );
    const latencyMs = performance.now() - started;
    if (!res.ok) {
      throw new UpstreamError(
        `endpoint ${name}`,
        `HTTP ${res.status}: ${endpointMessage(answer)}`,
      );
    }
    return {
      statusCode: res.status,
      contentType:
        res.headers.get('content-type') ?? 'application/octet-stream',
      body: answer,
      latencyMs,
    };
  }

  private async invokeSageMaker(
    endpoint: SageMakerArn,
    body: Buffer,
    contentType: string,
  ): Promise<EndpointInvocation> {
    const runtime = await this.options.clients.runtime(endpoint);
    const service = `SageMaker InvokeEndpoint ${endpoint.resourceName}`;
    const command = new InvokeEndpointCommand({
      EndpointName: endpoint.resourceName,
      Body: body,
      ContentType: contentType,
      Accept: 'application/json',
    });
    // The SDK buffers the whole body before returning it: cap it while it streams in.
    command.middlewareStack.add(
      capResponseBody(this.maxResponseBytes, service),
      { step: 'deserialize', priority: 'low', name: 'capResponseBody' },
    );
    const started = performance.now();
    try {
      const res = await runtime.send(command);
      return {
        statusCode: 200,
        contentType: res.ContentType ?? 'application/octet-stream',
        body: Buffer.from(res.Body ?? new Uint8Array()),
        latencyMs: performance.now() - started,
      };
    } catch (error) {
      if (error instanceof ResponseTooLargeError) {
        // A fresh one: the SDK's deserializer appended its own hint to this one's message.
        throw new ResponseTooLargeError(service, this.maxResponseBytes);
      }
      // ModelError carries the model container's own message.
      const e = error as {
        name?: string;
        OriginalMessage?: string;
        OriginalStatusCode?: number;
      };
      if (e.name === 'ModelError') {
        throw new UpstreamError(
          `endpoint ${endpoint.resourceName}`,
          `HTTP ${e.OriginalStatusCode ?? '?'}: ${e.OriginalMessage ?? ''}`,
          error,
        );
      }
      throw toUpstreamError(service, error);
    }
  }
}

function endpointMessage(body: Buffer): string {
  const text = body.toString('utf8').slice(0, 1000);
  try {
    const parsed = JSON.parse(text);
    return parsed.message ?? parsed.error ?? text;
  } catch {
    return text;
  }
}

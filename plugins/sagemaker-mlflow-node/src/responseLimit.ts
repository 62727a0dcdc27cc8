import { Readable, Transform } from 'node:stream';
import { UpstreamError } from './errors';

export const MAX_RESPONSE_BYTES_KEY = 'sagemakerMlflow.limits.maxResponseBytes';
export const MAX_MLFLOW_RESPONSE_BYTES_KEY =
  'sagemakerMlflow.limits.maxMlflowResponseBytes';

/** An answer over the configured size: not read further, the connection is closed (→ 502). */
export class ResponseTooLargeError extends UpstreamError {
  constructor(service: string, maxBytes: number, key = MAX_RESPONSE_BYTES_KEY) {
    super(
      service,
      `answered more than ${maxBytes} bytes, the limit set by ${key}`,
    );
  }
}

/**
 * Reads a fetch answer's body into memory, at most `maxBytes` of it: a larger one (declared or streamed) is
 * cancelled, which closes the connection, instead of being buffered whole.
 */
export async function readCapped(
  res: Response,
  maxBytes: number,
  service: string,
  key = MAX_RESPONSE_BYTES_KEY,
): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const tooLarge = async () => {
    await reader.cancel().catch(() => {});
    return new ResponseTooLargeError(service, maxBytes, key);
  };
  if (Number(res.headers.get('content-length')) > maxBytes) {
    throw await tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw new UpstreamError(
        service,
        `the answer was cut off (${
          (error as Error).name === 'TimeoutError'
            ? 'no more of it in time'
            : (error as any).cause?.code ?? (error as Error).message
        })`,
      );
    }
    if (chunk.done) break;
    total += chunk.value.byteLength;
    if (total > maxBytes) throw await tooLarge();
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks);
}

/**
 * For an AWS SDK command whose answer body the SDK buffers whole (InvokeEndpoint's): a deserialize-step middleware,
 * added below the deserializer (`priority: 'low'`) so it sees the raw HTTP answer before it is read, that stops
 * the body at `maxBytes` and destroys the socket. The deserializer rewrites the errors it sees, so callers
 * recognise this one with `instanceof ResponseTooLargeError` and throw a fresh one.
 */
export function capResponseBody(maxBytes: number, service: string) {
  return (next: (args: any) => Promise<any>) => async (args: any) => {
    const result = await next(args);
    const response = result.response as {
      headers?: Record<string, string>;
      body?: unknown;
    };
    const body = response?.body;
    if (!(body instanceof Readable)) return result;
    if (Number(response.headers?.['content-length']) > maxBytes) {
      body.destroy();
      throw new ResponseTooLargeError(service, maxBytes);
    }
    let total = 0;
    const capped = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        total += chunk.length;
        if (total > maxBytes) {
          body.destroy();
          callback(new ResponseTooLargeError(service, maxBytes));
        } else {
          callback(null, chunk);
        }
      },
    });
    body.on('error', error => capped.destroy(error));
    response.body = body.pipe(capped);
    return result;
  };
}

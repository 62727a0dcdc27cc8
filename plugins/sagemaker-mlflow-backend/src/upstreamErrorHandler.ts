import type { LoggerService } from '@backstage/backend-plugin-api';
import type { ErrorRequestHandler } from 'express';

/**
 * Answers the errors Backstage's error middleware does not know, in its response shape: an upstream failure is a
 * 502 with the upstream's message, throttling a 503 with Retry-After, an oversize body 413, a wrong content type
 * 415. Everything else goes on to Backstage's handler (InputError 400, NotAllowedError 403, NotFoundError 404, ...).
 */
export const upstreamErrorHandler =
  (logger: LoggerService): ErrorRequestHandler =>
  (error, req, res, next) => {
    let status: number | undefined;
    let name = error?.name ?? 'Error';
    let message = error?.message ?? String(error);
    if (name === 'UpstreamError') status = 502;
    if (name === 'UpstreamThrottledError') {
      status = 503;
      res.setHeader('Retry-After', String(error.retryAfterSeconds ?? 5));
    }
    if (name === 'UnsupportedMediaTypeError') status = 415;
    if (error?.type === 'entity.too.large') {
      status = 413;
      name = 'PayloadTooLargeError';
      // Only invocations take their limit from config; the JSON write routes have fixed small limits.
      message = `The payload is larger than the ${error.limit} bytes allowed${
        req.path.endsWith('/invocations')
          ? ' (sagemakerMlflow.invoke.maxPayloadBytes)'
          : ''
      }`;
    }
    if (!status || res.headersSent) {
      next(error);
      return;
    }
    if (status >= 500) {
      // The full error, with its cause (an access-denied message names the backend's role), goes to the log only.
      logger.error(
        `${req.method} ${req.originalUrl} failed with ${status}`,
        error,
      );
    }
    res.status(status).json({
      error: { name, message },
      request: { method: req.method, url: req.originalUrl },
      response: { statusCode: status },
    });
  };

import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  Section,
  SectionError,
  SectionErrorCode,
} from '@model-factory/plugin-sagemaker-mlflow-common';

const UPSTREAM_CODES: ReadonlySet<string> = new Set<SectionErrorCode>([
  'missing-credentials',
  'access-denied',
  'unknown-region',
  'throttled',
  'timeout',
  'unavailable',
  'upstream',
]);

/** Section errors that last as long as the entity does: an answer carrying only these may be cached. */
const LASTING_CODES: ReadonlySet<string> = new Set<SectionErrorCode>([
  'missing-annotation',
  'invalid-annotation',
]);

type KnownError = Error & {
  code?: string;
  annotation?: string;
  fix?: string;
  account?: string;
  region?: string;
  retryAfterSeconds?: number;
};

function codeOf(e: KnownError): SectionErrorCode {
  if (UPSTREAM_CODES.has(e.code ?? '')) return e.code as SectionErrorCode;
  if (e.annotation) {
    return e.name === 'NotFoundError'
      ? 'missing-annotation'
      : 'invalid-annotation';
  }
  switch (e.name) {
    case 'NotAllowedError':
      return 'not-bound';
    case 'NotFoundError':
      return 'not-found';
    case 'InputError':
      return 'invalid-request';
    default:
      return 'internal';
  }
}

/**
 * What a section shows of its failure: its code, message and what would fix it. An upstream failure is logged in
 * full (its cause may hold what the answer must not show, such as the AWS role an access-denied message names), and
 * so is an unexpected one, whose message is not shown.
 */
export function toSectionError(
  error: unknown,
  logger?: LoggerService,
): SectionError {
  const e = (
    error instanceof Error ? error : new Error(String(error))
  ) as KnownError;
  const code = codeOf(e);
  if (code === 'internal') {
    logger?.error('Section failed unexpectedly', e);
    return {
      code,
      name: 'Error',
      message:
        'This section failed unexpectedly; the portal log has the details',
    };
  }
  if (logger && UPSTREAM_CODES.has(code)) {
    logger.warn(`Section failed: ${e.message}`, e);
  }
  return {
    code,
    name: e.name,
    message: e.message,
    ...(e.fix ? { fix: e.fix } : {}),
    ...(e.annotation ? { annotation: e.annotation } : {}),
    ...(e.account ? { account: e.account } : {}),
    ...(e.region ? { region: e.region } : {}),
    ...(e.retryAfterSeconds ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
  };
}

/** Runs one section's load; its failure becomes that section's error instead of failing the response. */
export async function settle<T>(
  load: () => Promise<T>,
  logger?: LoggerService,
): Promise<Section<T>> {
  try {
    return { data: await load() };
  } catch (error) {
    return { error: toSectionError(error, logger) };
  }
}

/**
 * Whether an answer made of these sections may be cached: each has its data, or an error that lasts as long as the
 * entity (a missing annotation). One that an upstream failure cut short is served but not kept: the next may be
 * whole.
 */
export function mayCache(...sections: Array<Section<unknown>>): boolean {
  return sections.every(
    section => !section.error || LASTING_CODES.has(section.error.code),
  );
}

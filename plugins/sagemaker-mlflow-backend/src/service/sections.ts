import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  Section,
  SectionError,
} from '@model-factory/plugin-sagemaker-mlflow-common';

const UPSTREAM_FAILURE = /^Upstream(Throttled)?Error$/;

/**
 * What a section shows of its failure: the name and message only. An upstream failure is logged in full (its
 * cause may hold what the answer must not show, such as the AWS role an access-denied message names).
 */
export function toSectionError(
  error: unknown,
  logger?: LoggerService,
): SectionError {
  const e = error as Error & { annotation?: string };
  if (logger && UPSTREAM_FAILURE.test(e.name ?? '')) {
    logger.warn(`Section failed: ${e.message}`, e);
  }
  return {
    name: e.name ?? 'Error',
    message: e.message ?? String(error),
    ...(e.annotation ? { annotation: e.annotation } : {}),
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

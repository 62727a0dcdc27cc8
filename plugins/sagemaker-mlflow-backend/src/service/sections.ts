import type {
  Section,
  SectionError,
} from '@model-factory/plugin-sagemaker-mlflow-common';

export function toSectionError(error: unknown): SectionError {
  const e = error as Error & { annotation?: string };
  return {
    name: e.name ?? 'Error',
    message: e.message ?? String(error),
    ...(e.annotation ? { annotation: e.annotation } : {}),
  };
}

/** Runs one section's load; its failure becomes that section's error instead of failing the response. */
export async function settle<T>(load: () => Promise<T>): Promise<Section<T>> {
  try {
    return { data: await load() };
  } catch (error) {
    return { error: toSectionError(error) };
  }
}

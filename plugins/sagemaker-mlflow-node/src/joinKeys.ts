/**
 * What the generated model projects write and the portal joins on (one definition for the backend and the
 * search collator).
 */
import { InputError } from '@backstage/errors';

/** The model version's tag naming its SageMaker model package. */
export const MODEL_PACKAGE_TAG = 'sagemaker.model_package_arn';

/**
 * A string literal for an MLflow search filter (`name = 'x'`). MLflow's filter parser takes a literal as written,
 * with no escapes: a value holding a quote or a backslash cannot be written as one, and is refused rather than
 * sent as a filter that means something else.
 */
export const mlflowFilterLiteral = (value: string) => {
  if (/['\\]/.test(value)) {
    throw new InputError(
      `'${value}' holds a quote or a backslash, which MLflow's search filters cannot express`,
    );
  }
  return `'${value}'`;
};

/**
 * What the generated model projects write and the portal joins on (one definition for the backend and the
 * search collator).
 */

/** The model version's tag naming its SageMaker model package. */
export const MODEL_PACKAGE_TAG = 'sagemaker.model_package_arn';

/** A string literal for an MLflow search filter (`name = 'x'`), quotes escaped. */
export const mlflowFilterLiteral = (value: string) =>
  `'${value.replace(/'/g, "\\'")}'`;

// The zod the scaffolder hands to schema functions (its v3 API).
import type { z as zod } from 'zod/v3';

type Z = typeof zod;

// The input fields the actions share, so each is validated (and its error worded) the same way everywhere.
const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

export const accountIdField = (z: Z) =>
  z.string().regex(/^\d{12}$/, 'accountId must be a 12-digit AWS account id');

export const regionField = (z: Z) =>
  z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must look like eu-west-1');

export const sagemakerNameField = (z: Z, field: string) =>
  z
    .string()
    .regex(
      SAGEMAKER_NAME,
      `${field} must be a SageMaker name (letters, digits, hyphens)`,
    );

export const trackingServerField = (z: Z) =>
  z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9-]{0,62}$/,
      'trackingServer must be a server name from sagemakerMlflow.mlflow.servers, not a URL',
    )
    .default('default')
    .describe('Tracking server name from config (never a URL)');

export const mlflowNameField = (z: Z, field: string) =>
  z
    .string()
    .min(1)
    .max(256)
    .regex(/^\P{Cc}+$/u, `${field} must not contain control characters`);

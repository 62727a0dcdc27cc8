/** The JSON the backend serves under /api/sagemaker-mlflow/v1/entities/:namespace/:kind/:name (DESIGN §6). */
import type { ResourceBinding } from './binding';

/** The page size the tab asks for; the summary reads the same first pages, so one load serves both. */
export const DEFAULT_PAGE_SIZE = 20;

/**
 * What kind of failure a section error is, so a reader (and the UI) knows what to fix without parsing the message.
 * `missing-annotation`/`invalid-annotation`: fix the entity's annotation; `not-bound`: the resource does not name
 * the entity (binding.requireForReads); `not-found`: the resource does not exist; `missing-credentials`: the portal
 * has no AWS credentials for the account (aws.accounts); `access-denied`: the portal's AWS role may not call the
 * action; `unknown-region`: no SageMaker API answers for the ARN's region; `throttled`: retry after
 * `retryAfterSeconds`; `timeout`: no answer before the request's deadline; `unavailable`: the upstream is not
 * answering (its circuit breaker is open, or the connection failed); `upstream`: the upstream answered with an error.
 */
export type SectionErrorCode =
  | 'missing-annotation'
  | 'invalid-annotation'
  | 'invalid-request'
  | 'not-bound'
  | 'not-found'
  | 'missing-credentials'
  | 'access-denied'
  | 'unknown-region'
  | 'throttled'
  | 'timeout'
  | 'unavailable'
  | 'upstream'
  | 'internal';

/** Why one section of a response has no data; the other sections are unaffected. */
export interface SectionError {
  code: SectionErrorCode;
  name: string;
  message: string;
  /** What would fix it, when the portal knows (the config key to add, the action to grant, ...). */
  fix?: string;
  /** The annotation to fix, when the cause is a missing or malformed annotation. */
  annotation?: string;
  /** For `missing-credentials`, `access-denied`, `unknown-region`: the AWS account and region concerned. */
  account?: string;
  region?: string;
  /** For `throttled`: when a retry may succeed. */
  retryAfterSeconds?: number;
}

/**
 * One part of a response that loads and fails on its own: its data, or why there is none. Every partial failure
 * in this API has this shape; a response is a set of sections, each from one upstream.
 */
export type Section<T> =
  | { data: T; error?: never }
  | { data?: never; error: SectionError };

export interface PipelineExecution {
  arn: string;
  /** The last segment of the ARN; what the routes take as :id. */
  id: string;
  displayName?: string;
  description?: string;
  status: string;
  startTime?: string;
  lastModifiedTime?: string;
  /** Until the last modification while running or finished. */
  durationMs?: number;
  startedBy?: string;
  parameters?: Record<string, string>;
  failureReason?: string;
  consoleUrl: string;
}

export interface ExecutionsPage {
  pipelineArn: string;
  pipelineName: string;
  consoleUrl: string;
  /** From SageMaker: one page of executions, newest first. */
  executions: Section<{ items: PipelineExecution[]; nextPageToken?: string }>;
  /** From MLflow: the metrics of each execution's run, by execution ARN (an execution without a run is absent). */
  runMetrics: Section<Record<string, Record<string, number>>>;
  /** Whether the pipeline names this entity back: only then may it be started or stopped from here. */
  binding: ResourceBinding;
}

export interface PipelineStep {
  name: string;
  displayName?: string;
  status: string;
  startTime?: string;
  endTime?: string;
  failureReason?: string;
  cacheHit: boolean;
  /** The job (training, processing, ...) the step ran. */
  jobArn?: string;
  consoleUrl?: string;
}

export interface PipelineDefinitionStep {
  name: string;
  type: string;
  dependsOn: string[];
  /** For a step inside a condition step: the condition's name and which branch (if its conditions hold, else). */
  branch?: { condition: string; outcome: 'if' | 'else' };
}

export interface MlflowRunSummary {
  runId: string;
  runName?: string;
  status: string;
  startTime?: string;
  endTime?: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  url: string;
}

export interface ExecutionDetail {
  execution: PipelineExecution;
  /** Steps as SageMaker ran them. */
  steps: Section<PipelineStep[]>;
  /** Steps and their dependencies as the pipeline defines them (for the DAG). */
  definition: Section<PipelineDefinitionStep[]>;
  /** The MLflow runs tagged with this execution. */
  mlflowRuns: Section<MlflowRunSummary[]>;
}

export type ApprovalStatus = 'Approved' | 'Rejected' | 'PendingManualApproval';

export interface ModelPackageRef {
  arn: string;
  approvalStatus: string;
  version?: number;
  consoleUrl: string;
}

export interface ModelVersion {
  version: string;
  status?: string;
  description?: string;
  createdAt?: string;
  aliases: string[];
  tags: Record<string, string>;
  runId?: string;
  runUrl?: string;
  metrics: Record<string, number>;
}

export interface ModelVersionsPage {
  modelName: string;
  modelUrl: string;
  /** From MLflow: one page of versions, newest first, and every alias of the model with the version it names. */
  versions: Section<{
    items: ModelVersion[];
    aliases: Record<string, string>;
    nextPageToken?: string;
  }>;
  /**
   * From SageMaker: the model package registered for each version, by MLflow version number (a version without a
   * package is absent; empty when the entity names no model package group).
   */
  modelPackages: Section<Record<string, ModelPackageRef>>;
  /**
   * The registered model's binding, and the model package group's when one is annotated: approving needs both.
   */
  bindings: ResourceBinding[];
}

export interface EndpointVariant {
  name: string;
  modelName?: string;
  instanceType?: string;
  currentInstanceCount?: number;
  currentWeight?: number;
}

export interface Endpoint {
  name: string;
  arn: string;
  status: string;
  failureReason?: string;
  createdAt?: string;
  lastModifiedAt?: string;
  variants: EndpointVariant[];
  deployedVersion?: { modelName: string; version: string };
  consoleUrl: string;
}

export interface EndpointsResponse {
  /** One entry per annotated endpoint, each loaded (and failing) on its own. */
  items: Array<{
    name: string;
    arn: string;
    endpoint: Section<Endpoint>;
    /** Whether the endpoint names this entity back: only then may it be invoked or validated from here. */
    binding?: ResourceBinding;
  }>;
}

/** A version as the overview card shows it: with its SageMaker model package, when it has one. */
export interface SummaryVersion extends ModelVersion {
  modelPackage?: ModelPackageRef;
}

export interface Summary {
  latestExecution: Section<PipelineExecution | null>;
  champion: Section<SummaryVersion | null>;
  latestVersion: Section<SummaryVersion | null>;
  endpoints: Section<Array<{ name: string; status: string }>>;
}

export interface StartExecutionRequest {
  displayName?: string;
  parameters?: Record<string, string>;
}

export interface ApprovalRequest {
  status: 'Approved' | 'Rejected';
  comment?: string;
}

export interface ApprovalResult {
  version: string;
  modelPackageArn: string;
  approvalStatus: ApprovalStatus;
}

export interface InvocationResult {
  endpointName: string;
  statusCode: number;
  contentType: string;
  latencyMs: number;
  /** Parsed JSON when the endpoint answered JSON, else the text. */
  body: unknown;
}

/** A request the endpoint accepts, from the served version's validation sample (prefills the test console). */
export interface EndpointExample {
  endpointName: string;
  modelVersion: string;
  json: string;
  csv: string;
  /** The true labels of the example rows. */
  labels: number[];
}

export interface ValidationResult {
  endpointName: string;
  modelVersion?: string;
  rows: number;
  labels: number[];
  predictions: number[];
  accuracy: number;
  latencyMs: number;
}

/** The MLflow tracking servers the portal is configured with (names only: never a credential). */
export interface MlflowServersResponse {
  items: Array<{ name: string; uiUrl: string }>;
}

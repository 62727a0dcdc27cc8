/** MLflow REST entities (2.0 API), the fields Model Factory reads. */
export interface MlflowTag {
  key: string;
  value: string;
}

export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  tags?: MlflowTag[];
}

export interface MlflowMetric {
  key: string;
  value: number;
  timestamp: number;
  step?: number;
}

export interface MlflowRun {
  info: {
    run_id: string;
    run_name?: string;
    experiment_id: string;
    status: string;
    start_time?: number;
    end_time?: number;
    user_id?: string;
    artifact_uri?: string;
  };
  data: {
    metrics?: MlflowMetric[];
    params?: MlflowTag[];
    tags?: MlflowTag[];
  };
}

export interface MlflowRegisteredModel {
  name: string;
  description?: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  aliases?: Array<{ alias: string; version: string }>;
  tags?: MlflowTag[];
  /** MLflow 2.x: the newest version in each stage (None, Staging, Production, Archived) that has one. */
  latest_versions?: MlflowModelVersion[];
}

export interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  tags?: MlflowTag[];
  aliases?: string[];
  /** MLflow's registry stage: None, Staging, Production or Archived (always None on MLflow 3). */
  current_stage?: string;
}

export interface MlflowPage<T> {
  items: T[];
  nextPageToken?: string;
}

export interface MlflowArtifact {
  path: string;
  is_dir?: boolean;
  file_size?: number;
}

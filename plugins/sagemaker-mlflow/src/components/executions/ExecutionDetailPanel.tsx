import {
  InfoCard,
  Progress,
  StructuredMetadataTable,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import type {
  MlflowRunSummary,
  PipelineStep,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import useAsync from 'react-use/esm/useAsync';
import { sagemakerMlflowApiRef } from '../../api/SageMakerMlflowApi';
import {
  COMPACT_TABLE_OPTIONS,
  ExternalLink,
  formatMetric,
  formatTime,
  SectionError,
  StatusChip,
  useEntityRefs,
  VERBATIM_LABELS,
} from '../common';
import { PipelineDag } from './PipelineDag';

const stepColumns: TableColumn<PipelineStep>[] = [
  { title: 'Step', field: 'name' },
  { title: 'Status', render: s => <StatusChip status={s.status} /> },
  { title: 'Started', render: s => formatTime(s.startTime) },
  { title: 'Ended', render: s => formatTime(s.endTime) },
  { title: 'Cache hit', render: s => (s.cacheHit ? 'yes' : 'no') },
  { title: 'Failure', render: s => s.failureReason ?? '' },
  {
    title: 'Job',
    render: s =>
      s.consoleUrl ? (
        <ExternalLink href={s.consoleUrl}>open in SageMaker</ExternalLink>
      ) : (
        ''
      ),
  },
];

/**
 * One execution: the pipeline graph and steps across the width, then the execution's parameters beside its MLflow
 * run(s) with their metrics.
 */
export function ExecutionDetailPanel({ executionId }: { executionId: string }) {
  const api = useApi(sagemakerMlflowApiRef);
  const { compoundRef } = useEntityRefs();
  const { value, loading, error } = useAsync(
    () => api.getExecution(compoundRef, executionId),
    [executionId],
  );
  if (loading) return <Progress />;
  if (error || !value)
    return (
      <SectionError title="Execution" error={error ?? new Error('not found')} />
    );
  const { execution, steps, definition, mlflowRuns } = value;
  return (
    <Grid container spacing={2} data-testid="execution-detail">
      <Grid item xs={12}>
        <InfoCard title={`Steps of ${execution.displayName ?? execution.id}`}>
          {definition.data ? (
            <PipelineDag definition={definition.data} steps={steps.data} />
          ) : (
            <SectionError
              title="Pipeline definition"
              error={definition.error!}
            />
          )}
          {steps.data ? (
            <Table
              options={COMPACT_TABLE_OPTIONS}
              columns={stepColumns}
              data={steps.data}
            />
          ) : (
            <SectionError title="Steps" error={steps.error!} />
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={5}>
        <InfoCard
          title={execution.displayName ?? execution.id}
          subheader={<StatusChip status={execution.status} />}
        >
          <StructuredMetadataTable
            metadata={{
              Started: formatTime(execution.startTime),
              'Started by': execution.startedBy ?? '—',
              Failure: execution.failureReason ?? '—',
              ...Object.fromEntries(
                Object.entries(execution.parameters ?? {}).map(([k, v]) => [
                  `Parameter ${k}`,
                  v,
                ]),
              ),
              SageMaker: (
                <ExternalLink href={execution.consoleUrl}>
                  open in SageMaker Studio
                </ExternalLink>
              ),
            }}
            options={VERBATIM_LABELS}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={7}>
        <InfoCard title="MLflow runs of this execution">
          {mlflowRuns.error && (
            <SectionError title="MLflow" error={mlflowRuns.error} />
          )}
          {mlflowRuns.data?.length === 0 && (
            <Typography>
              No MLflow run is tagged with this execution.
            </Typography>
          )}
          {mlflowRuns.data?.map((run: MlflowRunSummary) => (
            <StructuredMetadataTable
              key={run.runId}
              metadata={{
                Run: (
                  <ExternalLink href={run.url}>
                    {run.runName ?? run.runId}
                  </ExternalLink>
                ),
                Status: run.status,
                ...Object.fromEntries(
                  Object.entries(run.metrics).map(([k, v]) => [
                    k,
                    formatMetric(v),
                  ]),
                ),
                ...Object.fromEntries(
                  Object.entries(run.params).map(([k, v]) => [`param ${k}`, v]),
                ),
              }}
              options={VERBATIM_LABELS}
            />
          ))}
        </InfoCard>
      </Grid>
    </Grid>
  );
}

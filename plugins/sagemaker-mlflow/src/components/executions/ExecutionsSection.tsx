import { InfoCard, Link, Table, TableColumn } from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Tooltip from '@material-ui/core/Tooltip';
import {
  DEFAULT_PAGE_SIZE,
  metricColumns,
  PipelineExecution,
  pipelineExecutePermission,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { useEffect, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sagemakerMlflowApiRef } from '../../api/SageMakerMlflowApi';
import {
  COMPACT_TABLE_OPTIONS,
  formatDuration,
  formatMetric,
  formatTime,
  isNotFound,
  isRunning,
  notBound,
  NotBoundPanel,
  NotCreatedYet,
  SectionError,
  StatusChip,
  useEntityRefs,
} from '../common';
import { PageButtons, usePageTokens } from '../PageButtons';
import { useLiveRefresh } from '../useLiveRefresh';
import { ExecutionDetailPanel } from './ExecutionDetailPanel';
import { StartExecutionDialog } from './StartExecutionDialog';

const REFRESH_WHILE_RUNNING_MS = 10_000;

/** The pipeline's executions, newest first: page through them, open one, start or stop (owners only). */
export function ExecutionsSection() {
  const api = useApi(sagemakerMlflowApiRef);
  const alertApi = useApi(alertApiRef);
  const { compoundRef, entityRef } = useEntityRefs();
  const { allowed: canExecute } = usePermission({
    permission: pipelineExecutePermission,
    resourceRef: entityRef,
  });
  const [pageSize, setPageSize] = useState(DEFAULT_PAGE_SIZE);
  const pages = usePageTokens();
  const [selected, setSelected] = useState<string>();
  const [starting, setStarting] = useState(false);
  // A new dialog after each start: the next one opens empty, not with the last run's name and parameters.
  const [starts, setStarts] = useState(0);
  const { pageToken } = pages;
  const page = useAsyncRetry(
    () =>
      api.getExecutions(compoundRef, {
        pageSize,
        pageToken,
      }),
    [pageToken, pageSize],
  );
  useLiveRefresh('executions', page.retry);

  const unbound = notBound([page.value?.binding]);
  // Owners act only on a pipeline that names this component back; the backend refuses the rest anyway.
  const canAct = canExecute && page.value?.binding.state === 'bound';
  const executions = page.value?.executions;
  const runMetrics = page.value?.runMetrics;
  const metricsByArn = runMetrics?.data;
  const running = executions?.data?.items.some(e => isRunning(e.status));
  useEffect(() => {
    if (!running) return undefined;
    const timer = setInterval(page.retry, REFRESH_WHILE_RUNNING_MS);
    return () => clearInterval(timer);
  }, [running, page.retry]);

  const stop = async (execution: PipelineExecution) => {
    // eslint-disable-next-line no-alert
    if (!window.confirm(`Stop ${execution.displayName ?? execution.id}?`))
      return;
    try {
      await api.stopExecution(compoundRef, execution.id);
      alertApi.post({
        message: `Stopping ${execution.id}`,
        severity: 'info',
        display: 'transient',
      });
      page.retry();
    } catch (e) {
      alertApi.post({
        message: `Could not stop ${execution.id}: ${(e as Error).message}`,
        severity: 'error',
      });
    }
  };

  const columns: TableColumn<PipelineExecution>[] = [
    {
      title: 'Status',
      // With a column per key metric the table is wide: a status is never broken over two lines.
      cellStyle: { whiteSpace: 'nowrap' },
      render: e => <StatusChip status={e.status} />,
    },
    {
      title: 'Execution',
      render: e => (
        <Link
          to="#"
          onClick={ev => {
            ev.preventDefault();
            setSelected(e.id);
          }}
        >
          {e.displayName ?? e.id}
        </Link>
      ),
    },
    { title: 'Started', render: e => formatTime(e.startTime) },
    { title: 'Duration', render: e => executionDuration(e) },
    { title: 'Started by', render: e => e.startedBy ?? e.description ?? '—' },
    // Joined from MLflow by execution ARN; without MLflow's answer the columns would only say "—".
    ...(metricsByArn
      ? metricColumns(
          (executions?.data?.items ?? []).map(e => metricsByArn[e.arn]),
        ).map(m => ({
          title: m,
          cellStyle: { whiteSpace: 'nowrap' as const },
          render: (e: PipelineExecution) =>
            formatMetric(metricsByArn[e.arn]?.[m]),
        }))
      : []),
    {
      title: '',
      render: e =>
        canAct && isRunning(e.status) ? (
          <Button size="small" onClick={() => stop(e)}>
            Stop
          </Button>
        ) : null,
    },
  ];

  let action: JSX.Element | undefined = canExecute ? (
    <Button
      variant="contained"
      color="primary"
      onClick={() => setStarting(true)}
    >
      Start execution
    </Button>
  ) : (
    <Tooltip title="Only the owners of this component may start its pipeline">
      <span>
        <Button variant="contained" disabled>
          Start execution
        </Button>
      </span>
    </Tooltip>
  );
  if (unbound.length > 0) action = undefined;

  // The pipeline's absence comes as a 404 or, with the rest of the page, as the executions section's error.
  const failure = page.error ?? executions?.error;
  if (failure && isNotFound(failure))
    return (
      <NotCreatedYet title="Pipeline executions: no pipeline yet">
        The pipeline this component names does not exist yet. The project's CI
        creates it and starts it on its first run (<code>run-pipeline</code>).
      </NotCreatedYet>
    );
  if (page.error)
    return <SectionError title="Pipeline executions" error={page.error} />;
  return (
    <InfoCard
      title="Pipeline executions"
      action={action}
      deepLink={
        page.value
          ? {
              title: 'Open the pipeline in SageMaker Studio',
              link: page.value.consoleUrl,
            }
          : undefined
      }
    >
      <NotBoundPanel bindings={unbound} />
      {runMetrics?.error && (
        <SectionError title="MLflow metrics" error={runMetrics.error} />
      )}
      {executions?.error ? (
        <SectionError title="Pipeline executions" error={executions.error} />
      ) : (
        <div data-testid="executions-table">
          <Table
            isLoading={page.loading && !page.value}
            options={COMPACT_TABLE_OPTIONS}
            columns={columns}
            data={executions?.data?.items ?? []}
            emptyContent={<Box p={2}>This pipeline has no executions yet.</Box>}
          />
        </div>
      )}
      <PageButtons
        pages={pages}
        nextPageToken={executions?.data?.nextPageToken}
      >
        <TextField
          select
          size="small"
          label="Per page"
          style={{ minWidth: 96 }}
          value={pageSize}
          onChange={e => {
            setPageSize(Number(e.target.value));
            pages.reset();
          }}
          inputProps={{ 'data-testid': 'executions-page-size' }}
        >
          {[20, 50, 100].map(n => (
            <MenuItem key={n} value={n}>
              {n}
            </MenuItem>
          ))}
        </TextField>
      </PageButtons>
      {selected && (
        <Box mt={2}>
          <ExecutionDetailPanel executionId={selected} />
        </Box>
      )}
      {page.value && (
        <StartExecutionDialog
          key={starts}
          open={starting}
          pipelineName={page.value.pipelineName}
          onClose={() => setStarting(false)}
          onStart={async request => {
            try {
              const { executionArn } = await api.startExecution(
                compoundRef,
                request,
              );
              alertApi.post({
                message: `Started ${executionArn.split('/').pop()}`,
                severity: 'success',
                display: 'transient',
              });
              setStarting(false);
              setStarts(n => n + 1);
              pages.reset();
              page.retry();
            } catch (e) {
              alertApi.post({
                message: `Could not start: ${(e as Error).message}`,
                severity: 'error',
              });
            }
          }}
        />
      )}
    </InfoCard>
  );
}

/** How long an execution took, or for a running one how long it has run so far (the table refreshes meanwhile). */
export function executionDuration(e: PipelineExecution, now = Date.now()) {
  if (e.durationMs !== undefined) return formatDuration(e.durationMs);
  if (isRunning(e.status) && e.startTime)
    return `${formatDuration(now - Date.parse(e.startTime))} so far`;
  return '—';
}

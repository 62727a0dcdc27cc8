import { InfoCard, Table, TableColumn } from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import {
  DEFAULT_PAGE_SIZE,
  metricColumns,
  modelApprovePermission,
  ModelVersion,
  TAG_MODEL_PACKAGE_ARN,
  TAG_VALIDATION_PREFIX,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { sagemakerMlflowApiRef } from '../../api/SageMakerMlflowApi';
import {
  COMPACT_TABLE_OPTIONS,
  ExternalLink,
  formatMetric,
  formatTime,
  notBound,
  NotBoundPanel,
  SectionError,
  StageChip,
  StatusChip,
  useEntityRefs,
} from '../common';
import { PageButtons, usePageTokens } from '../PageButtons';
import { useLiveRefresh } from '../useLiveRefresh';
import { ApprovalDialog } from './ApprovalDialog';
import { MetricByVersionChart } from './MetricByVersionChart';
import { ModelEntityLink } from './ModelEntityLink';
import { SageMakerOnlyVersions } from './SageMakerOnlyVersions';
import {
  VersionDrillDownLink,
  VersionTimelineDialog,
} from './VersionTimelineDialog';

/** The registered model's versions with their approval in SageMaker; owners approve or reject. */
export function ModelVersionsSection() {
  const api = useApi(sagemakerMlflowApiRef);
  const alertApi = useApi(alertApiRef);
  const { compoundRef, entityRef } = useEntityRefs();
  const { allowed: canApprove } = usePermission({
    permission: modelApprovePermission,
    resourceRef: entityRef,
  });
  const pages = usePageTokens();
  const [pending, setPending] = useState<{
    version: string;
    status: 'Approved' | 'Rejected';
  }>();
  const { pageToken } = pages;
  const page = useAsyncRetry(
    () =>
      api.getModelVersions(compoundRef, {
        pageSize: DEFAULT_PAGE_SIZE,
        pageToken,
      }),
    [pageToken],
  );
  useLiveRefresh('versions', page.retry);

  const bindings = page.value?.bindings ?? [];
  const unbound = notBound(bindings);
  const versions = page.value?.versions;
  const champion = versions?.data?.champion;
  // Joined from SageMaker by version number; a version without a package (or SageMaker failing) has none.
  const packages = page.value?.modelPackages.data ?? {};

  const approvalButtons = (v: ModelVersion) => {
    // Approval needs the MLflow model and the package group to name this component back.
    const modelPackage = packages[v.version];
    if (!modelPackage || bindings.length === 0 || unbound.length > 0)
      return null;
    const buttons = (['Approved', 'Rejected'] as const)
      .filter(status => modelPackage.approvalStatus !== status)
      .map(status => (
        <Button
          key={status}
          size="small"
          disabled={!canApprove}
          style={{ whiteSpace: 'nowrap' }}
          onClick={() => setPending({ version: v.version, status })}
        >
          {status === 'Approved' ? 'Approve' : 'Reject'}
        </Button>
      ));
    return canApprove ? (
      buttons
    ) : (
      <Tooltip title="Only the owners of this component may approve or reject versions">
        <span>{buttons}</span>
      </Tooltip>
    );
  };

  const columns: TableColumn<ModelVersion>[] = [
    {
      title: 'Version',
      render: v => (
        <VersionDrillDownLink version={v.version}>
          <strong id={`model-version-${v.version}`}>v{v.version}</strong>
        </VersionDrillDownLink>
      ),
    },
    {
      title: 'Aliases',
      render: v => (
        <>
          {v.aliases.map(a => (
            <Chip key={a} size="small" label={`@${a}`} color="primary" />
          ))}
          {v.currentStage && (
            <StageChip
              stage={v.currentStage}
              champion={
                champion?.by === 'stage' && champion.version === v.version
              }
            />
          )}
        </>
      ),
    },
    {
      title: 'Approval',
      render: v =>
        packages[v.version] ? (
          <ExternalLink href={packages[v.version].consoleUrl}>
            <StatusChip status={packages[v.version].approvalStatus} />
          </ExternalLink>
        ) : (
          '—'
        ),
    },
    { title: '', render: approvalButtons },
    ...metricColumns((versions?.data?.items ?? []).map(v => v.metrics)).map(
      m => ({
        title: m,
        cellStyle: { whiteSpace: 'nowrap' as const },
        render: (v: ModelVersion) => formatMetric(v.metrics[m]),
      }),
    ),
    { title: 'Created', render: v => formatTime(v.createdAt) },
    {
      title: 'Source run',
      render: v =>
        v.runId ? (
          <ExternalLink href={v.runUrl}>{v.runId.slice(0, 8)}</ExternalLink>
        ) : (
          '—'
        ),
    },
    {
      title: 'Tags',
      render: v =>
        Object.entries(v.tags)
          // The package link is shown as the approval column, the validations in the version's timeline.
          .filter(
            ([k]) =>
              k !== TAG_MODEL_PACKAGE_ARN &&
              !k.startsWith(TAG_VALIDATION_PREFIX),
          )
          .map(([k, val]) => (
            <Chip
              key={k}
              size="small"
              variant="outlined"
              label={`${k}=${val}`}
            />
          )),
    },
  ];

  if (page.error)
    return <SectionError title="Model versions" error={page.error} />;
  return (
    <InfoCard
      title="Model versions"
      subheader={<ModelEntityLink />}
      deepLink={
        page.value
          ? { title: 'Open the model in MLflow', link: page.value.modelUrl }
          : undefined
      }
    >
      <NotBoundPanel bindings={unbound} />
      {page.value?.modelPackages.error && (
        <SectionError
          title="SageMaker approval status"
          error={page.value.modelPackages.error}
        />
      )}
      {versions?.error ? (
        <SectionError title="Model versions" error={versions.error} />
      ) : (
        <div data-testid="versions-table">
          <Table
            isLoading={page.loading && !page.value}
            options={COMPACT_TABLE_OPTIONS}
            columns={columns}
            data={versions?.data?.items ?? []}
            emptyContent={
              <Box p={2}>No version of this model is registered yet.</Box>
            }
          />
        </div>
      )}
      <PageButtons
        pages={pages}
        nextPageToken={versions?.data?.nextPageToken}
      />
      <SageMakerOnlyVersions
        joined={new Set(Object.values(packages).map(p => p.arn))}
      />
      {versions?.data && versions.data.items.length > 0 && (
        <MetricByVersionChart
          versions={versions.data.items}
          champion={champion?.version}
        />
      )}
      <VersionTimelineDialog />
      <ApprovalDialog
        // A fresh dialog per decision: a comment typed for one version never carries over to another.
        key={pending ? `${pending.version}-${pending.status}` : 'closed'}
        version={pending?.version}
        status={pending?.status}
        onClose={() => setPending(undefined)}
        onConfirm={async comment => {
          try {
            await api.setApproval(compoundRef, pending!.version, {
              status: pending!.status,
              comment: comment || undefined,
            });
            alertApi.post({
              message: `Version ${pending!.version}: ${pending!.status}`,
              severity: 'success',
              display: 'transient',
            });
            setPending(undefined);
            page.retry();
          } catch (e) {
            alertApi.post({
              message: `Could not change version ${pending!.version}: ${
                (e as Error).message
              }`,
              severity: 'error',
            });
          }
        }}
      />
    </InfoCard>
  );
}

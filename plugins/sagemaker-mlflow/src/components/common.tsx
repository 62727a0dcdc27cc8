import { useEntity } from '@backstage/plugin-catalog-react';
import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  CodeSnippet,
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  WarningPanel,
} from '@backstage/core-components';
import type {
  ResourceBinding,
  SectionError as SectionErrorData,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';

const OK = /^(Succeeded|Completed|InService|Approved|READY|FINISHED)$/;
const FAILED = /^(Failed|Rejected|OutOfService|FAILED)$/;
const RUNNING =
  /^(Executing|Stopping|Creating|Updating|SystemUpdating|RollingBack|Deleting|RUNNING)$/;
const STOPPED = /^(Stopped|KILLED)$/;

/** A SageMaker or MLflow status with Backstage's status colours. */
export function StatusChip({ status }: { status: string }) {
  const label =
    status === 'PendingManualApproval' ? 'Pending approval' : status;
  if (OK.test(status)) return <StatusOK>{label}</StatusOK>;
  if (FAILED.test(status)) return <StatusError>{label}</StatusError>;
  if (RUNNING.test(status)) return <StatusRunning>{label}</StatusRunning>;
  if (STOPPED.test(status)) return <StatusAborted>{label}</StatusAborted>;
  return <StatusPending>{label}</StatusPending>;
}

export const isRunning = (status: string) => RUNNING.test(status);

/** One section's failure, naming its cause (and the annotation to fix); the other sections keep working. */
export function SectionError({
  title,
  error,
}: {
  title: string;
  error: SectionErrorData | Error;
}) {
  const annotation = (error as SectionErrorData).annotation;
  return (
    <WarningPanel severity="error" title={`${title}: ${error.message}`}>
      {annotation
        ? `Check the ${annotation} annotation of this entity.`
        : error.name}
    </WarningPanel>
  );
}

/**
 * Whether an error says the upstream resource does not exist (yet): a section error named NotFoundError, or a
 * 404 response carrying one. A new project's pipeline and endpoint exist only after its first CI run and deploy.
 */
export function isNotFound(error: SectionErrorData | Error): boolean {
  const cause = (error as Error & { cause?: { name?: string } }).cause;
  return error.name === 'NotFoundError' || cause?.name === 'NotFoundError';
}

/** What a section shows for a resource the project has not created yet: what will create it. */
export function NotCreatedYet({
  title,
  children,
}: {
  title: string;
  children: ReactNode;
}) {
  return (
    <WarningPanel severity="info" title={title} defaultExpanded>
      {children}
    </WarningPanel>
  );
}

/** Those of the resources' bindings that do not name this entity: it may read them but not act on them. */
export const notBound = (bindings: Array<ResourceBinding | undefined>) =>
  bindings.filter((b): b is ResourceBinding => !!b && b.state !== 'bound');

/**
 * Says which resources are not bound to this component (their backstage.io/entity-ref tag does not name it) and
 * how to bind them. The section hides its write controls meanwhile: the backend would refuse them.
 */
export function NotBoundPanel({ bindings }: { bindings: ResourceBinding[] }) {
  if (bindings.length === 0) return null;
  return (
    <WarningPanel
      severity="warning"
      title="Not bound to this component: read-only here"
      defaultExpanded
    >
      <div data-testid="not-bound">
        {bindings.map(b => (
          <Box key={`${b.kind}:${b.resource}`} mb={1}>
            <Typography variant="body2" style={{ wordBreak: 'break-word' }}>
              {b.message} {b.fix}
            </Typography>
            {b.command && (
              <CodeSnippet
                text={b.command}
                language="bash"
                showCopyCodeButton
              />
            )}
          </Box>
        ))}
      </div>
    </WarningPanel>
  );
}

/** One look for every table of the tab: compact, no toolbar, paging by the section's own buttons. */
export const COMPACT_TABLE_OPTIONS = {
  paging: false,
  search: false,
  toolbar: false,
  padding: 'dense',
} as const;

/** StructuredMetadataTable options that keep labels as written (no title-casing of ARNs, "MLflow"...). */
export const VERBATIM_LABELS = { titleFormat: (label: string) => label };

/** The current entity as the API addresses it. */
export function useEntityRefs() {
  const { entity } = useEntity();
  return {
    compoundRef: getCompoundEntityRef(entity),
    entityRef: stringifyEntityRef(entity),
  };
}

export function formatDuration(ms?: number): string {
  if (ms === undefined) return '—';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

export function formatTime(iso?: string): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function formatMetric(value?: number): string {
  return value === undefined ? '—' : value.toFixed(4);
}

export function ExternalLink({
  href,
  children,
}: {
  href?: string;
  children: ReactNode;
}) {
  if (!href) return <>{children}</>;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}

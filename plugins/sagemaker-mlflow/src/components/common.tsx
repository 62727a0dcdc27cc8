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
import { MODEL_RESOURCE_TYPE } from '@model-factory/plugin-sagemaker-mlflow-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
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

/**
 * A version's MLflow registry stage (MLflow 2.x), shown beside its aliases: outlined and in the secondary colour,
 * so it never reads as an alias (filled) or a tag (outlined, plain). `champion`: the model has no champion alias
 * and this is its newest Production version, which makes it the champion.
 */
export function StageChip({
  stage,
  champion,
}: {
  stage: string;
  champion?: boolean;
}) {
  return (
    <Chip
      size="small"
      variant="outlined"
      color="secondary"
      label={champion ? `${stage} · champion` : stage}
      title={
        champion
          ? 'Champion by stage: the model has no champion alias; this is its newest Production version'
          : 'MLflow registry stage'
      }
    />
  );
}

/**
 * What the portal said about a failure. A section error arrives as data; a thrown ResponseError (a 4xx/5xx
 * answer) carries the backend's error, with the same fields when it has them, as its cause.
 */
function details(error: SectionErrorData | Error): Partial<SectionErrorData> & {
  name: string;
  message: string;
} {
  const cause = (error as Error & { cause?: unknown }).cause;
  if (error.name === 'ResponseError' && cause && typeof cause === 'object')
    return cause as Partial<SectionErrorData> & Error;
  return error;
}

/**
 * One section's failure: its message, then what fixes it (the annotation, the portal's own advice, when to retry);
 * the other sections keep working.
 */
export function SectionError({
  title,
  error,
}: {
  title: string;
  error: SectionErrorData | Error;
}) {
  const {
    name,
    message,
    code,
    fix,
    annotation,
    account,
    region,
    retryAfterSeconds,
  } = details(error);
  const throttled = code === 'throttled' || name === 'UpstreamThrottledError';
  const where = [
    account && `AWS account ${account}`,
    region && `region ${region}`,
  ].filter(Boolean);
  const hints = [
    annotation && `Check the ${annotation} annotation of this entity.`,
    fix,
    throttled &&
      (retryAfterSeconds
        ? `Try again in ${retryAfterSeconds} second${
            retryAfterSeconds === 1 ? '' : 's'
          }.`
        : 'Try again in a moment.'),
    where.length > 0 && `${where.join(', ')}.`,
  ].filter((h): h is string => !!h);
  return (
    <WarningPanel
      severity="error"
      title={`${title}: ${message}`}
      // What fixes it is the point of the panel: shown open.
      defaultExpanded={hints.length > 0}
    >
      <div data-testid="section-error">
        {hints.length === 0
          ? name
          : hints.map(h => (
              <Typography
                key={h}
                variant="body2"
                style={{ wordBreak: 'break-word' }}
              >
                {h}
              </Typography>
            ))}
      </div>
    </WarningPanel>
  );
}

/**
 * Whether an error says the upstream resource does not exist (yet): a section error with code not-found, or a
 * 404 response whose cause is a NotFoundError. A new project's pipeline and endpoint exist only after its first
 * CI run and deploy.
 */
export function isNotFound(error: SectionErrorData | Error): boolean {
  const { code, name } = details(error);
  return code ? code === 'not-found' : name === 'NotFoundError';
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
  const { entity } = useEntity();
  if (bindings.length === 0) return null;
  // A model's own catalog entity (made by the catalog module) mirrors a model some component binds: binding it to
  // this entity instead would take it from that component, so it offers no command.
  const mirror =
    entity.kind.toLocaleLowerCase('en-US') === 'resource' &&
    entity.spec?.type === MODEL_RESOURCE_TYPE;
  return (
    <WarningPanel
      severity={mirror ? 'info' : 'warning'}
      title={
        mirror
          ? "The catalog's view of a registry model: read-only here"
          : 'Not bound to this component: read-only here'
      }
      defaultExpanded
    >
      <div data-testid="not-bound">
        {bindings.map(b => (
          <Box key={`${b.kind}:${b.resource}`} mb={1}>
            <Typography variant="body2" style={{ wordBreak: 'break-word' }}>
              {b.message}{' '}
              {mirror
                ? 'Start runs, approve versions and invoke endpoints from the component it is bound to.'
                : b.fix}
            </Typography>
            {b.command && !mirror && (
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

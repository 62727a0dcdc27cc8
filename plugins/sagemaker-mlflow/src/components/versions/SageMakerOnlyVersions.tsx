import { Table, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import {
  ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  SageMakerOnlyVersion,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { sagemakerMlflowApiRef } from '../../api/SageMakerMlflowApi';
import {
  COMPACT_TABLE_OPTIONS,
  ExternalLink,
  formatTime,
  SectionError,
  StatusChip,
  useEntityRefs,
} from '../common';

/** One ListModelPackages page: the backend describes each package of it once. */
const PACKAGES_PER_PAGE = 100;

const columns: TableColumn<SageMakerOnlyVersion>[] = [
  {
    title: 'Package',
    render: p => (
      <Box display="flex" alignItems="center" style={{ gap: 8 }}>
        <strong>v{p.version ?? '?'}</strong>
        <Chip size="small" variant="outlined" label="SageMaker only" />
      </Box>
    ),
  },
  {
    title: 'Approval',
    render: p => (
      <ExternalLink href={p.consoleUrl}>
        <StatusChip status={p.approvalStatus} />
      </ExternalLink>
    ),
  },
  { title: 'Created', render: p => formatTime(p.createdAt) },
  { title: 'Description', render: p => p.description ?? '—' },
];

/**
 * The model packages of the entity's group that match no MLflow version (registered by a pipeline the template did
 * not write), newest first, read one page of the group's packages at a time. `joined` are the packages the versions
 * table already shows.
 */
export function SageMakerOnlyVersions({ joined }: { joined: Set<string> }) {
  const { entity } = useEntity();
  const named = Boolean(
    entity.metadata.annotations?.[ANNOTATION_MODEL_PACKAGE_GROUP_ARN],
  );
  return named ? <SageMakerOnlyTable joined={joined} /> : null;
}

function SageMakerOnlyTable({ joined }: { joined: Set<string> }) {
  const api = useApi(sagemakerMlflowApiRef);
  const { compoundRef } = useEntityRefs();
  // Every page read so far, again on "older": the backend has them cached.
  const [tokens, setTokens] = useState<Array<string | undefined>>([undefined]);
  const pages = useAsync(
    () =>
      Promise.all(
        tokens.map(pageToken =>
          api.getSageMakerOnlyVersions(compoundRef, {
            pageSize: PACKAGES_PER_PAGE,
            pageToken,
          }),
        ),
      ),
    [tokens],
  );
  if (pages.error)
    return <SectionError title="SageMaker-only versions" error={pages.error} />;
  if (!pages.value) return null;
  const last = pages.value[pages.value.length - 1];
  const items = pages.value
    .flatMap(p => p.items)
    .filter(p => !joined.has(p.arn));
  const scanned = pages.value.reduce((n, p) => n + p.scanned, 0);
  if (items.length === 0 && !last.nextPageToken) return null;
  return (
    <Box mt={2} data-testid="sagemaker-only-versions">
      <Typography variant="subtitle1">SageMaker only</Typography>
      <Typography variant="body2" color="textSecondary">
        Model packages of the group with no MLflow version (registered by
        another pipeline), among its newest {scanned} packages.
      </Typography>
      {items.length > 0 ? (
        <Table options={COMPACT_TABLE_OPTIONS} columns={columns} data={items} />
      ) : (
        <Box p={1}>None.</Box>
      )}
      {last.nextPageToken && (
        <Button
          size="small"
          disabled={pages.loading}
          onClick={() => setTokens([...tokens, last.nextPageToken])}
        >
          Look at older packages
        </Button>
      )}
    </Box>
  );
}

import { InfoCard, StructuredMetadataTable } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Skeleton from '@material-ui/lab/Skeleton';
import useAsync from 'react-use/esm/useAsync';
import { sagemakerMlflowApiRef } from '../../api/SageMakerMlflowApi';
import {
  ExternalLink,
  formatTime,
  isNotFound,
  notBound,
  NotBoundPanel,
  NotCreatedYet,
  SectionError,
  StatusChip,
  useEntityRefs,
  VERBATIM_LABELS,
} from '../common';
import { EndpointTestConsole } from './EndpointTestConsole';

/** Each annotated endpoint: status, variants, the version it serves, and a test console. */
export function EndpointsSection() {
  const api = useApi(sagemakerMlflowApiRef);
  const { compoundRef } = useEntityRefs();
  const { value, loading, error } = useAsync(
    () => api.getEndpoints(compoundRef),
    [],
  );
  if (error) return <SectionError title="Endpoints" error={error} />;
  if (loading || !value) return <Skeleton variant="rect" height={200} />;
  return (
    <Grid container spacing={2}>
      {value.items.map(item => (
        <Grid item xs={12} key={item.arn}>
          <InfoCard
            title={`Endpoint ${item.name}`}
            subheader={
              item.endpoint ? (
                <StatusChip status={item.endpoint.status} />
              ) : undefined
            }
            deepLink={
              item.endpoint
                ? { title: 'Open in SageMaker', link: item.endpoint.consoleUrl }
                : undefined
            }
          >
            <NotBoundPanel bindings={notBound([item.binding])} />
            {item.error && isNotFound(item.error) && (
              <NotCreatedYet title="Not deployed yet">
                Approve a model version, then put it on this endpoint with the
                project's <code>deploy</code> entry point.
              </NotCreatedYet>
            )}
            {item.error && !isNotFound(item.error) && (
              <SectionError title={item.name} error={item.error} />
            )}
            {item.endpoint && (
              <StructuredMetadataTable
                metadata={{
                  'Deployed version': item.endpoint.deployedVersion
                    ? `${item.endpoint.deployedVersion.modelName} v${item.endpoint.deployedVersion.version}`
                    : 'unknown (no mlflow.model_version tag)',
                  Variants: item.endpoint.variants.map(
                    v =>
                      `${v.name}: ${v.modelName ?? '?'} on ${
                        v.currentInstanceCount ?? '?'
                      } × ${v.instanceType ?? '?'}`,
                  ),
                  'Last change': formatTime(item.endpoint.lastModifiedAt),
                  ...(item.endpoint.failureReason
                    ? { Failure: item.endpoint.failureReason }
                    : {}),
                  ARN: (
                    <ExternalLink href={item.endpoint.consoleUrl}>
                      {item.arn}
                    </ExternalLink>
                  ),
                }}
                options={VERBATIM_LABELS}
              />
            )}
            {/* The console invokes: only for an endpoint that names this component back. */}
            {item.endpoint && item.binding?.state === 'bound' && (
              <Box>
                <EndpointTestConsole endpointName={item.name} />
              </Box>
            )}
          </InfoCard>
        </Grid>
      ))}
    </Grid>
  );
}

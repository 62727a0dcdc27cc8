import { InfoCard, StructuredMetadataTable } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Skeleton from '@material-ui/lab/Skeleton';
import { META_MODEL_VERSION } from '@model-factory/plugin-sagemaker-mlflow-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
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
import { useLiveRefresh } from '../useLiveRefresh';
import { EndpointTestConsole } from './EndpointTestConsole';

/** Each annotated endpoint: status, variants, the version it serves, and a test console. */
export function EndpointsSection() {
  const api = useApi(sagemakerMlflowApiRef);
  const { compoundRef } = useEntityRefs();
  const { value, error, retry } = useAsyncRetry(
    () => api.getEndpoints(compoundRef),
    [],
  );
  useLiveRefresh('endpoints', retry);
  if (error) return <SectionError title="Endpoints" error={error} />;
  // A reload (a signal) keeps what is shown, and the test console's input, until the new answer is in.
  if (!value) return <Skeleton variant="rect" height={200} />;
  return (
    <Grid container spacing={2}>
      {value.items.map(({ name, arn, endpoint, binding }) => (
        <Grid item xs={12} key={arn}>
          <InfoCard
            title={`Endpoint ${name}`}
            subheader={
              endpoint.data ? (
                <StatusChip status={endpoint.data.status} />
              ) : undefined
            }
            deepLink={
              endpoint.data
                ? { title: 'Open in SageMaker', link: endpoint.data.consoleUrl }
                : undefined
            }
          >
            <NotBoundPanel bindings={notBound([binding])} />
            {endpoint.error && isNotFound(endpoint.error) && (
              <NotCreatedYet title="Not deployed yet">
                Approve a model version, then put it on this endpoint with the
                project's <code>deploy</code> entry point.
              </NotCreatedYet>
            )}
            {endpoint.error && !isNotFound(endpoint.error) && (
              <SectionError title={name} error={endpoint.error} />
            )}
            {endpoint.data && (
              <StructuredMetadataTable
                metadata={{
                  'Deployed version': endpoint.data.deployedVersion
                    ? `${endpoint.data.deployedVersion.modelName} v${endpoint.data.deployedVersion.version}`
                    : `unknown (no ${META_MODEL_VERSION} tag)`,
                  Variants: endpoint.data.variants.map(
                    v =>
                      `${v.name}: ${v.modelName ?? '?'} on ${
                        v.currentInstanceCount ?? '?'
                      } × ${v.instanceType ?? '?'}`,
                  ),
                  'Last change': formatTime(endpoint.data.lastModifiedAt),
                  ...(endpoint.data.failureReason
                    ? { Failure: endpoint.data.failureReason }
                    : {}),
                  ARN: (
                    <ExternalLink href={endpoint.data.consoleUrl}>
                      {arn}
                    </ExternalLink>
                  ),
                }}
                options={VERBATIM_LABELS}
              />
            )}
            {/* The console invokes: only for an endpoint that names this component back. */}
            {endpoint.data && binding?.state === 'bound' && (
              <Box>
                <EndpointTestConsole endpointName={name} />
              </Box>
            )}
          </InfoCard>
        </Grid>
      ))}
    </Grid>
  );
}

import {
  InfoCard,
  Link,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Skeleton from '@material-ui/lab/Skeleton';
import {
  ANNOTATION_ENDPOINT_ARNS,
  ANNOTATION_PIPELINE_ARN,
  entityTabPath,
  Section,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { ReactNode } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { sagemakerMlflowApiRef } from '../api/SageMakerMlflowApi';
import {
  formatTime,
  SectionError,
  StageChip,
  StatusChip,
  useEntityRefs,
  VERBATIM_LABELS,
} from './common';

function row<T>(
  section: Section<T | null>,
  render: (data: T) => ReactNode,
): ReactNode {
  if (section.error)
    return <SectionError title="Unavailable" error={section.error} />;
  return section.data === null || section.data === undefined
    ? '—'
    : render(section.data);
}

/** Overview card: latest execution, champion and latest version, endpoint health, with a link to the tab. */
export function EntitySageMakerMlflowCard() {
  const api = useApi(sagemakerMlflowApiRef);
  const { compoundRef, entityRef } = useEntityRefs();
  const { value, loading, error } = useAsync(
    () => api.getSummary(compoundRef),
    [entityRef],
  );
  const tab = entityTabPath(compoundRef);
  // A row for what the entity names: a model's catalog entity names no pipeline or endpoint.
  const { entity } = useEntity();
  const names = (annotation: string) =>
    Boolean(entity.metadata.annotations?.[annotation]);
  return (
    <InfoCard
      title="Model Factory"
      deepLink={{ title: 'Executions, versions and endpoints', link: tab }}
    >
      <div data-testid="model-factory-card">
        {error && <SectionError title="Model Factory" error={error} />}
        {loading && <Skeleton variant="rect" height={120} />}
        {value && (
          <StructuredMetadataTable
            metadata={{
              ...(names(ANNOTATION_PIPELINE_ARN) && {
                'Latest execution': row(value.latestExecution, e => (
                  <>
                    <StatusChip status={e.status} /> {e.displayName ?? e.id},{' '}
                    {formatTime(e.startTime)}
                  </>
                )),
              }),
              Champion: row(value.champion, v => (
                <>
                  v{v.version}{' '}
                  {v.championBy && (
                    <span>
                      {v.championBy === 'stage' ? 'by stage' : 'by alias'}{' '}
                    </span>
                  )}
                  {v.currentStage && <StageChip stage={v.currentStage} />}{' '}
                  {v.modelPackage && (
                    <StatusChip status={v.modelPackage.approvalStatus} />
                  )}
                </>
              )),
              'Latest version': row(value.latestVersion, v => (
                <>
                  v{v.version}{' '}
                  {v.currentStage && <StageChip stage={v.currentStage} />}
                </>
              )),
              ...(names(ANNOTATION_ENDPOINT_ARNS) && {
                Endpoints: row(value.endpoints, endpoints =>
                  endpoints.length
                    ? endpoints.map(e => (
                        <div key={e.name}>
                          {e.name} <StatusChip status={e.status} />
                        </div>
                      ))
                    : '—',
                ),
              }),
              '': <Link to={tab}>Open the Model Factory tab</Link>,
            }}
            options={VERBATIM_LABELS}
          />
        )}
      </div>
    </InfoCard>
  );
}

import { stringifyEntityRef } from '@backstage/catalog-model';
import { Content } from '@backstage/core-components';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import {
  ANNOTATION_ENDPOINT_ARNS,
  ANNOTATION_PIPELINE_ARN,
  ANNOTATION_REGISTERED_MODEL_NAME,
  RESOURCE_ANNOTATIONS,
  isSageMakerMlflowAvailable,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { EndpointsSection } from './endpoints/EndpointsSection';
import { ExecutionsSection } from './executions/ExecutionsSection';
import { ModelVersionsSection } from './versions/ModelVersionsSection';

/** The entity tab: pipeline executions, model versions and endpoints, each loading and failing on its own. */
export function EntitySageMakerMlflowContent() {
  const { entity } = useEntity();
  if (!isSageMakerMlflowAvailable(entity)) {
    return (
      <MissingAnnotationEmptyState annotation={[...RESOURCE_ANNOTATIONS]} />
    );
  }
  const has = (annotation: string) =>
    Boolean(entity.metadata.annotations?.[annotation]);
  return (
    <Content>
      {/* Keyed by the entity: moving to another entity's tab starts every section afresh (data, pages, drafts). */}
      <Grid container spacing={3} key={stringifyEntityRef(entity)}>
        {has(ANNOTATION_PIPELINE_ARN) && (
          <Grid item xs={12}>
            <ExecutionsSection />
          </Grid>
        )}
        {has(ANNOTATION_REGISTERED_MODEL_NAME) && (
          <Grid item xs={12}>
            <ModelVersionsSection />
          </Grid>
        )}
        {has(ANNOTATION_ENDPOINT_ARNS) && (
          <Grid item xs={12}>
            <EndpointsSection />
          </Grid>
        )}
      </Grid>
    </Content>
  );
}

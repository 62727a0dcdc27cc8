import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import {
  Content,
  InfoCard,
  StructuredMetadataTable,
} from '@backstage/core-components';
import {
  ANNOTATION_ENDPOINT_ARNS,
  ANNOTATION_EXPERIMENT_NAME,
  ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  ANNOTATION_PIPELINE_ARN,
  ANNOTATION_REGISTERED_MODEL_NAME,
  ANNOTATION_TRACKING_SERVER,
  RESOURCE_ANNOTATIONS,
  isSageMakerMlflowAvailable,
} from '@model-factory/plugin-sagemaker-mlflow-common';

const LABELS: Array<[string, string]> = [
  [ANNOTATION_PIPELINE_ARN, 'SageMaker pipeline'],
  [ANNOTATION_MODEL_PACKAGE_GROUP_ARN, 'Model package group'],
  [ANNOTATION_ENDPOINT_ARNS, 'Endpoints'],
  [ANNOTATION_REGISTERED_MODEL_NAME, 'MLflow registered model'],
  [ANNOTATION_EXPERIMENT_NAME, 'MLflow experiment'],
  [ANNOTATION_TRACKING_SERVER, 'MLflow tracking server'],
];

/** The entity tab: the SageMaker and MLflow resources this component is bound to. */
export function EntitySageMakerMlflowContent() {
  const { entity } = useEntity();
  if (!isSageMakerMlflowAvailable(entity)) {
    return (
      <MissingAnnotationEmptyState annotation={[...RESOURCE_ANNOTATIONS]} />
    );
  }
  const annotations = entity.metadata.annotations ?? {};
  const metadata = Object.fromEntries(
    LABELS.filter(([key]) => annotations[key]).map(([key, label]) => [
      label,
      key === ANNOTATION_ENDPOINT_ARNS
        ? annotations[key].split(',').map(s => s.trim())
        : annotations[key],
    ]),
  );
  return (
    <Content>
      <InfoCard title="Model resources">
        <StructuredMetadataTable
          metadata={metadata}
          options={{ titleFormat: (label: string) => label }}
        />
      </InfoCard>
    </Content>
  );
}

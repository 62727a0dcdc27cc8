import { createFrontendPlugin } from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isSageMakerMlflowAvailable } from '@model-factory/plugin-sagemaker-mlflow-common';

/** The entity tab, shown only on entities that name a SageMaker or MLflow resource. */
export const sagemakerMlflowEntityContent = EntityContentBlueprint.make({
  params: {
    path: '/sagemaker-mlflow',
    title: 'Model Factory',
    filter: isSageMakerMlflowAvailable,
    loader: () =>
      import('./components/EntitySageMakerMlflowContent').then(m => (
        <m.EntitySageMakerMlflowContent />
      )),
  },
});

/** The Model Factory plugin for the New Frontend System. */
export default createFrontendPlugin({
  pluginId: 'sagemaker-mlflow',
  info: { packageJson: () => import('../package.json') },
  extensions: [sagemakerMlflowEntityContent],
});

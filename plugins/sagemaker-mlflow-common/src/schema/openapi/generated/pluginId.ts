export const pluginId = 'sagemaker-mlflow';

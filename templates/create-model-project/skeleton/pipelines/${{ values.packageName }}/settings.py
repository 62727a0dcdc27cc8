"""This project's names and defaults, written by the create-model-project template.

Every value can be overridden by the environment variable of the same name, so CI, tests and a laptop can point
the same code at another account, tracking server or emulator without editing it.
"""

import os


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


MODEL_NAME = "${{ values.name }}"
AWS_REGION = _env("AWS_REGION", "${{ values.region }}")
PIPELINE_NAME = _env("PIPELINE_NAME", "${{ values.pipelineName }}")
PIPELINE_ROLE_ARN = _env("PIPELINE_ROLE_ARN", "${{ values.roleArn }}")
ARTIFACT_BUCKET = _env("ARTIFACT_BUCKET", "${{ values.artifactBucket }}")
MODEL_PACKAGE_GROUP_NAME = _env("MODEL_PACKAGE_GROUP_NAME", "${{ values.modelPackageGroupName }}")
ENDPOINT_NAME = _env("ENDPOINT_NAME", "${{ values.endpointName }}")
# A tracking server URL, or the ARN of a SageMaker managed MLflow tracking server (needs sagemaker-mlflow).
MLFLOW_TRACKING_URI = _env("MLFLOW_TRACKING_URI", "${{ values.trackingUri }}")
MLFLOW_EXPERIMENT_NAME = _env("MLFLOW_EXPERIMENT_NAME", "${{ values.experimentName }}")
MLFLOW_REGISTERED_MODEL_NAME = _env("MLFLOW_REGISTERED_MODEL_NAME", "${{ values.registeredModelName }}")

# The registration gate: a version is registered only when the evaluation metric reaches the threshold.
GATE_METRIC = _env("GATE_METRIC", "${{ values.gateMetric }}")
GATE_THRESHOLD = float(_env("GATE_THRESHOLD", "${{ values.gateThreshold }}"))

# Serving image for model packages: an MLflow pyfunc image, e.g. from `mlflow sagemaker build-and-push-container`.
INFERENCE_IMAGE_URI = _env(
    "INFERENCE_IMAGE_URI",
    "${{ values.accountId }}.dkr.ecr.${{ values.region }}.amazonaws.com/mlflow-pyfunc:latest",
)
# The image the pipeline's steps run in; it needs this project's requirements installed.
STEP_IMAGE_URI = _env(
    "STEP_IMAGE_URI",
    "${{ values.accountId }}.dkr.ecr.${{ values.region }}.amazonaws.com/${{ values.name }}-steps:latest",
)
STEP_INSTANCE_TYPE = _env("STEP_INSTANCE_TYPE", "ml.m5.large")
ENDPOINT_INSTANCE_TYPE = _env("ENDPOINT_INSTANCE_TYPE", "ml.m5.large")

# Tags and metadata the Backstage Model Factory plugin joins on; change them only together with the portal.
TAG_PIPELINE_EXECUTION_ARN = "sagemaker.pipeline_execution_arn"
TAG_MODEL_PACKAGE_ARN = "sagemaker.model_package_arn"
META_REGISTERED_MODEL_NAME = "mlflow.registered_model_name"
META_MODEL_VERSION = "mlflow.model_version"
META_RUN_ID = "mlflow.run_id"
VALIDATION_SAMPLE_ARTIFACT = "validation/validation_sample.json"

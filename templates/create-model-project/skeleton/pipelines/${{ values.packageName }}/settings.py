{#- Every value is written through dump: a JSON string is a Python string literal, so no value can end it. -#}
"""This project's names and defaults, written by the create-model-project template.

Every value can be overridden by the environment variable of the same name, so CI, tests and a laptop can point
the same code at another account, tracking server or emulator without editing it.
"""

import os


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


MODEL_NAME = ${{ values.name | dump }}
AWS_REGION = _env("AWS_REGION", ${{ values.region | dump }})
PIPELINE_NAME = _env("PIPELINE_NAME", ${{ values.pipelineName | dump }})
{#- A role or tracking server ARN can be longer than a line: its value stands alone on a line (a line of one word is
    never too long for ruff), and the trailing comma keeps `ruff format` from joining the call whatever the length. #}
PIPELINE_ROLE_ARN = _env(
    "PIPELINE_ROLE_ARN",
    ${{ values.roleArn | dump }},
)
ARTIFACT_BUCKET = _env("ARTIFACT_BUCKET", ${{ values.artifactBucket | dump }})
MODEL_PACKAGE_GROUP_NAME = _env("MODEL_PACKAGE_GROUP_NAME", ${{ values.modelPackageGroupName | dump }})
ENDPOINT_NAME = _env("ENDPOINT_NAME", ${{ values.endpointName | dump }})
# A tracking server URL, or the ARN of a SageMaker managed MLflow tracking server (needs sagemaker-mlflow).
MLFLOW_TRACKING_URI = _env(
    "MLFLOW_TRACKING_URI",
    ${{ values.trackingUri | dump }},
)
MLFLOW_EXPERIMENT_NAME = _env("MLFLOW_EXPERIMENT_NAME", ${{ values.experimentName | dump }})
MLFLOW_REGISTERED_MODEL_NAME = _env("MLFLOW_REGISTERED_MODEL_NAME", ${{ values.registeredModelName | dump }})
# The portal's catalog entity of this project. The pipeline, endpoint and model this code creates name it in their
# BINDING_TAG; the portal changes a resource only when it names the entity back, and this code refuses to change
# one that names another entity.
ENTITY_REF = _env("ENTITY_REF", ${{ values.entityRef | dump }})

# The registration gate: a version is registered only when the evaluation metric reaches the threshold.
GATE_METRIC = _env("GATE_METRIC", ${{ values.gateMetric | dump }})
GATE_THRESHOLD = float(_env("GATE_THRESHOLD", ${{ values.gateThreshold | string | dump }}))

_ECR_REGISTRY = ${{ (values.accountId ~ ".dkr.ecr." ~ values.region ~ ".amazonaws.com") | dump }}
# The images CI builds from docker/ for each commit and sets here pinned by digest (ci/build-images.sh); the
# defaults name their repositories for a laptop. Serving: the model packages' container, requirements baked in.
INFERENCE_IMAGE_URI = _env("INFERENCE_IMAGE_URI", f"{_ECR_REGISTRY}/{MODEL_NAME}-serving:latest")
# The steps' jobs: requirements.txt on the Python of .python-version; the project's code travels with each step.
STEP_IMAGE_URI = _env("STEP_IMAGE_URI", f"{_ECR_REGISTRY}/{MODEL_NAME}-steps:latest")
STEP_INSTANCE_TYPE = _env("STEP_INSTANCE_TYPE", "ml.m5.large")
ENDPOINT_INSTANCE_TYPE = _env("ENDPOINT_INSTANCE_TYPE", "ml.m5.large")

# Tags and metadata the Backstage Model Factory plugin joins on; change them only together with the portal.
BINDING_TAG = "backstage.io/entity-ref"
TAG_PIPELINE_EXECUTION_ARN = "sagemaker.pipeline_execution_arn"
TAG_MODEL_PACKAGE_ARN = "sagemaker.model_package_arn"
META_REGISTERED_MODEL_NAME = "mlflow.registered_model_name"
META_MODEL_VERSION = "mlflow.model_version"
META_RUN_ID = "mlflow.run_id"
# Lineage: run tags, copied into the model package's metadata under the same names (lineage.py).
TAG_GIT_SHA = "lineage.git_sha"
TAG_STEP_IMAGE_URI = "lineage.step_image_uri"
TAG_INFERENCE_IMAGE_URI = "lineage.inference_image_uri"
TAG_TRAINING_DATA_URI = "lineage.training_data_uri"
TAG_CI_BUILD_URL = "lineage.ci_build_url"
# A model version tag per endpoint, validation.<endpoint>: JSON {accuracy, rows, latencyMs, at} (validate_endpoint).
TAG_VALIDATION_PREFIX = "validation."
VALIDATION_SAMPLE_ARTIFACT = "validation/validation_sample.json"
# The metrics the evaluation step logs; the portal shows them as columns and indexes them for search.
KEY_METRICS = ("accuracy", "f1", "roc_auc")

"""Register: a version in the MLflow registry and a SageMaker model package (PendingManualApproval), linked.

The MLflow version carries the package ARN as a tag and the package carries the MLflow name, version and run in
its customer metadata, so the portal shows them as one thing. The package also carries the run's lineage (commit,
images, execution, training data) and its evaluation report as ModelMetrics, so SageMaker's registry shows them
without MLflow. Approving the package is a human's decision.
"""

import io
import json
import os
import re
import tarfile
import tempfile
from dataclasses import dataclass

import boto3
import mlflow
from mlflow import MlflowClient

from . import lineage, settings
from .train import TrainedModel


@dataclass
class RegisteredVersion:
    version: str
    model_package_arn: str


def register(
    trained: TrainedModel, metrics: dict[str, float], gate_threshold: float = settings.GATE_THRESHOLD
) -> RegisteredVersion:
    """Registers a run that passed the gate; the version records the gate it passed."""
    version = register_in_mlflow(trained, metrics, gate_threshold)
    package_arn = create_model_package(version, trained.run_id, trained.model_uri)
    MlflowClient(settings.MLFLOW_TRACKING_URI).set_model_version_tag(
        settings.MLFLOW_REGISTERED_MODEL_NAME, version, settings.TAG_MODEL_PACKAGE_ARN, package_arn
    )
    return RegisteredVersion(version=version, model_package_arn=package_arn)


def register_in_mlflow(
    trained: TrainedModel, metrics: dict[str, float], gate_threshold: float = settings.GATE_THRESHOLD
) -> str:
    client = MlflowClient(settings.MLFLOW_TRACKING_URI)
    name = settings.MLFLOW_REGISTERED_MODEL_NAME
    for existing in client.search_model_versions(f"name = '{name}' and run_id = '{trained.run_id}'"):
        return existing.version  # this run is registered already: re-running the step changes nothing
    if not client.search_registered_models(filter_string=f"name = '{name}'"):
        # Normally created (and bound) by the template; kept so a fork runs anywhere.
        client.create_registered_model(name, tags={settings.BINDING_TAG: settings.ENTITY_REF})
    version = client.create_model_version(
        name,
        source=trained.model_uri,
        run_id=trained.run_id,
        model_id=trained.model_id,
        tags={"gate_metric": settings.GATE_METRIC, "gate_threshold": str(gate_threshold)},
        description=f"{settings.GATE_METRIC}={metrics[settings.GATE_METRIC]:.4f}",
        await_creation_for=0,
    )
    return version.version


def create_model_package(version: str, run_id: str, model_uri: str) -> str:
    """Uploads the model's files and its evaluation report to the artifact bucket and creates the package of this
    MLflow version; its metrics and lineage are read from the run, so a version registered earlier gets them too."""
    sagemaker = boto3.client("sagemaker", region_name=settings.AWS_REGION)
    group = settings.MODEL_PACKAGE_GROUP_NAME
    for summary in _packages(sagemaker, group):
        described = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        metadata = described.get("CustomerMetadataProperties", {})
        if metadata.get(settings.META_MODEL_VERSION) == str(version) and metadata.get(settings.META_RUN_ID) == run_id:
            return summary["ModelPackageArn"]
    run = MlflowClient(settings.MLFLOW_TRACKING_URI).get_run(run_id)
    prefix = f"{settings.MODEL_NAME}/model-packages/v{version}"
    model_data_url = _upload_model(model_uri, f"{prefix}/model.tar.gz")
    report_url = _upload_json(evaluation_report(run.data.metrics), f"{prefix}/evaluation.json")
    # The serving image the run was built with (by digest); a run from before lineage: this build's. A run tag is
    # anyone's to write on the MLflow server: only an image of this project's serving repository is taken.
    image = run.data.tags.get(settings.TAG_INFERENCE_IMAGE_URI) or settings.INFERENCE_IMAGE_URI
    repository = settings.INFERENCE_IMAGE_URI.split("@")[0].rsplit(":", 1)[0]
    if not re.fullmatch(re.escape(repository) + r"(@sha256:[0-9a-f]{64}|:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})", image):
        raise ValueError(f"run {run_id} names serving image {image!r}, not one of {repository}")
    created = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription=f"MLflow {settings.MLFLOW_REGISTERED_MODEL_NAME} v{version} (run {run_id})",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": image, "ModelDataUrl": model_data_url}],
            "SupportedContentTypes": ["application/json", "text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        ModelMetrics={"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": report_url}}},
        CustomerMetadataProperties={
            settings.META_REGISTERED_MODEL_NAME: settings.MLFLOW_REGISTERED_MODEL_NAME,
            settings.META_MODEL_VERSION: str(version),
            settings.META_RUN_ID: run_id,
            **lineage.package_metadata(run.data.tags),
        },
    )
    return created["ModelPackageArn"]


def evaluation_report(metrics: dict[str, float]) -> dict:
    """The evaluated metrics in the model-quality statistics format SageMaker's registry (Studio) displays."""
    names = {"roc_auc": "auc"}  # Studio's name for it
    return {
        "binary_classification_metrics": {
            names.get(name, name): {"value": metrics[name], "standard_deviation": "NaN"}
            for name in settings.KEY_METRICS
            if name in metrics
        }
    }


def _packages(sagemaker, group: str):
    for page in sagemaker.get_paginator("list_model_packages").paginate(ModelPackageGroupName=group):
        yield from page["ModelPackageSummaryList"]


def _upload_model(model_uri: str, key: str) -> str:
    with tempfile.TemporaryDirectory() as workdir:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=model_uri, dst_path=workdir, tracking_uri=settings.MLFLOW_TRACKING_URI
        )
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w:gz") as tar:
            for entry in sorted(os.listdir(local)):
                tar.add(os.path.join(local, entry), arcname=entry)
        archive.seek(0)
        boto3.client("s3", region_name=settings.AWS_REGION).upload_fileobj(archive, settings.ARTIFACT_BUCKET, key)
    return f"s3://{settings.ARTIFACT_BUCKET}/{key}"


def _upload_json(document: dict, key: str) -> str:
    body = json.dumps(document, indent=2).encode()
    boto3.client("s3", region_name=settings.AWS_REGION).put_object(
        Bucket=settings.ARTIFACT_BUCKET, Key=key, Body=body, ContentType="application/json"
    )
    return f"s3://{settings.ARTIFACT_BUCKET}/{key}"

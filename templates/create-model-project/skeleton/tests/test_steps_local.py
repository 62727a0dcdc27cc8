"""The steps, run in this process on scikit-learn's bundled data, against a real MLflow server and the emulator."""

import boto3
import mlflow
from mlflow import MlflowClient

from pipelines.${{ values.packageName }}.preprocess import DATA_URI
from pipelines.${{ values.packageName }}.register import register
from pipelines.${{ values.packageName }}.train import TrainedModel
from pipelines.run_local import run_local

EXECUTION_ARN = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p/execution/local-test"


def versions(client, name):
    return client.search_model_versions(f"name = '{name}'")


def test_a_run_that_passes_the_gate_is_registered_in_mlflow_and_sagemaker(stack):
    settings = stack["settings"]
    client = MlflowClient(stack["mlflow"])
    result = run_local(regularization=1.0, gate_threshold=0.5, execution_arn=EXECUTION_ARN)

    assert result["passed_gate"] and result["metrics"]["accuracy"] > 0.9
    run = client.get_run(result["run_id"])
    assert run.data.tags[settings.TAG_PIPELINE_EXECUTION_ARN] == EXECUTION_ARN
    assert run.data.params["C"] == "1.0"
    assert set(run.data.metrics) >= set(settings.KEY_METRICS)
    mlflow.set_tracking_uri(stack["mlflow"])
    sample = mlflow.artifacts.load_dict(f"runs:/{result['run_id']}/{settings.VALIDATION_SAMPLE_ARTIFACT}")
    assert len(sample["data"]) == len(sample["labels"]) == 20 and len(sample["columns"]) == 30

    registered = result["registered"]
    version = client.get_model_version(settings.MLFLOW_REGISTERED_MODEL_NAME, registered["version"])
    assert version.run_id == result["run_id"]
    assert version.tags["gate_threshold"] == "0.5"
    assert version.tags[settings.TAG_MODEL_PACKAGE_ARN] == registered["model_package_arn"]
    package = boto3.client("sagemaker").describe_model_package(ModelPackageName=registered["model_package_arn"])
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["CustomerMetadataProperties"] == {
        settings.META_REGISTERED_MODEL_NAME: settings.MLFLOW_REGISTERED_MODEL_NAME,
        settings.META_MODEL_VERSION: registered["version"],
        settings.META_RUN_ID: result["run_id"],
        # The run's lineage; outside CI there is no commit to record, and none is made up.
        settings.TAG_PIPELINE_EXECUTION_ARN: EXECUTION_ARN,
        settings.TAG_STEP_IMAGE_URI: settings.STEP_IMAGE_URI,
        settings.TAG_INFERENCE_IMAGE_URI: settings.INFERENCE_IMAGE_URI,
        settings.TAG_TRAINING_DATA_URI: DATA_URI,
    }
    assert package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"].endswith("/evaluation.json")
    model_data = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, key = model_data.removeprefix("s3://").split("/", 1)
    assert boto3.client("s3").head_object(Bucket=bucket, Key=key)["ContentLength"] > 0


def test_a_run_below_the_gate_is_logged_but_not_registered(stack):
    settings = stack["settings"]
    client = MlflowClient(stack["mlflow"])
    before = len(versions(client, settings.MLFLOW_REGISTERED_MODEL_NAME))
    packages_before = boto3.client("sagemaker").list_model_packages(
        ModelPackageGroupName=settings.MODEL_PACKAGE_GROUP_NAME
    )

    result = run_local(regularization=1.0, gate_threshold=1.01)

    assert not result["passed_gate"] and result["registered"] is None
    assert client.get_run(result["run_id"]).data.metrics["accuracy"] < 1.01
    assert len(versions(client, settings.MLFLOW_REGISTERED_MODEL_NAME)) == before
    packages_after = boto3.client("sagemaker").list_model_packages(
        ModelPackageGroupName=settings.MODEL_PACKAGE_GROUP_NAME
    )
    assert len(packages_after["ModelPackageSummaryList"]) == len(packages_before["ModelPackageSummaryList"])


def test_a_run_exactly_at_the_threshold_passes_the_gate(stack):
    """The gate is "at least": the pipeline's ConditionGreaterThanOrEqualTo and the local runner agree."""
    accuracy = run_local(regularization=1.0, gate_threshold=1.01)["metrics"]["accuracy"]

    at_threshold = run_local(regularization=1.0, gate_threshold=accuracy)

    assert at_threshold["metrics"]["accuracy"] == accuracy
    assert at_threshold["passed_gate"] and at_threshold["registered"] is not None


def test_registering_the_same_run_again_changes_nothing(stack):
    """A retried Register step must not make a second version or package."""
    settings = stack["settings"]
    client = MlflowClient(stack["mlflow"])
    result = run_local(regularization=1.0, gate_threshold=0.5)
    version = client.get_model_version(settings.MLFLOW_REGISTERED_MODEL_NAME, result["registered"]["version"])
    sagemaker = boto3.client("sagemaker")
    packages = sagemaker.list_model_packages(ModelPackageGroupName=settings.MODEL_PACKAGE_GROUP_NAME)

    again = register(TrainedModel(run_id=result["run_id"], model_uri=version.source, model_id=""), result["metrics"])

    assert again.version == result["registered"]["version"]
    assert again.model_package_arn == result["registered"]["model_package_arn"]
    after = sagemaker.list_model_packages(ModelPackageGroupName=settings.MODEL_PACKAGE_GROUP_NAME)
    assert len(after["ModelPackageSummaryList"]) == len(packages["ModelPackageSummaryList"])
    assert len(versions(client, settings.MLFLOW_REGISTERED_MODEL_NAME)) == int(again.version)

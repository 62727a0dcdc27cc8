"""deploy puts an approved version on the endpoint; validate-endpoint replays the logged sample through it."""

import json

import boto3
import pytest
import requests
from mlflow import MlflowClient

from pipelines import deploy as deploy_module
from pipelines.${{ values.packageName }}.binding import BindingError
from pipelines.deploy import DeploymentError, deploy
from pipelines.run_local import run_local
from pipelines.validate_endpoint import validate_endpoint


@pytest.fixture(scope="module")
def registered(stack):
    result = run_local(regularization=1.0, gate_threshold=0.5)
    return result["registered"]


def set_approval(arn, status):
    boto3.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)


def endpoint_answers(stack, predictions):
    """The emulator's InvokeEndpoint returns what it is told to (it runs no model): queue this answer."""
    requests.post(
        f"{stack['emulator']}/moto-api/static/sagemaker/endpoint-results",
        json={"results": [{"Body": json.dumps({"predictions": predictions}), "ContentType": "application/json"}]},
        timeout=10,
    ).raise_for_status()


def test_refuses_a_version_that_is_not_approved(stack, registered):
    set_approval(registered["model_package_arn"], "PendingManualApproval")
    with pytest.raises(DeploymentError, match="PendingManualApproval"):
        deploy(version=registered["version"])


def test_refuses_an_alias_no_version_holds(stack, registered):
    assert deploy_module.main(["--alias", "no-such-alias"]) == 2


@pytest.fixture(scope="module")
def deployed(release_alarms, update_endpoint_stand_in, stack, registered):
    """The registered version approved, made champion and deployed (what a release does)."""
    set_approval(registered["model_package_arn"], "Approved")
    MlflowClient(stack["mlflow"]).set_registered_model_alias(
        stack["settings"].MLFLOW_REGISTERED_MODEL_NAME, "champion", registered["version"]
    )
    return deploy(alias="champion")


def test_deploys_the_champion_and_tags_the_endpoint_with_it(stack, registered, deployed):
    settings = stack["settings"]
    result = deployed
    sagemaker = boto3.client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=settings.ENDPOINT_NAME)
    assert endpoint["EndpointArn"] == result["endpoint_arn"]
    assert endpoint["EndpointConfigName"] == f"{settings.ENDPOINT_NAME}-v{registered['version']}"
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]}
    assert tags[settings.META_MODEL_VERSION] == registered["version"]
    assert tags[settings.META_REGISTERED_MODEL_NAME] == settings.MLFLOW_REGISTERED_MODEL_NAME


def bindings(arn):
    """Every value of the binding tag (a duplicate would show twice)."""
    tags = boto3.client("sagemaker").list_tags(ResourceArn=arn)["Tags"]
    return [tag["Value"] for tag in tags if tag["Key"] == "backstage.io/entity-ref"]


def test_the_endpoint_its_model_and_config_are_bound_to_the_component(stack, registered, deployed):
    settings = stack["settings"]
    sagemaker = boto3.client("sagemaker")
    assert bindings(deployed["endpoint_arn"]) == [settings.ENTITY_REF]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=f"{settings.ENDPOINT_NAME}-v{registered['version']}")
    assert bindings(config["EndpointConfigArn"]) == [settings.ENTITY_REF]
    model = sagemaker.describe_model(ModelName=f"{settings.ENDPOINT_NAME}-v{registered['version']}")
    assert bindings(model["ModelArn"]) == [settings.ENTITY_REF]


def test_refuses_an_endpoint_bound_to_another_entity(stack, registered, deployed):
    settings = stack["settings"]
    sagemaker = boto3.client("sagemaker")
    served = sagemaker.describe_endpoint(EndpointName=settings.ENDPOINT_NAME)["EndpointConfigName"]
    theirs = sagemaker.create_endpoint(
        EndpointName="another-model-staging",
        EndpointConfigName=served,
        Tags=[{"Key": settings.BINDING_TAG, "Value": "component:default/another-model"}],
    )["EndpointArn"]

    with pytest.raises(BindingError, match="component:default/another-model"):
        deploy(endpoint_name="another-model-staging", version=registered["version"])
    assert deploy_module.main(["--endpoint-name", "another-model-staging"]) == 2

    assert sagemaker.describe_endpoint(EndpointName="another-model-staging")["EndpointConfigName"] == served
    assert bindings(theirs) == ["component:default/another-model"]


def labels_of(stack, version):
    import mlflow

    settings = stack["settings"]
    run_id = MlflowClient(stack["mlflow"]).get_model_version(settings.MLFLOW_REGISTERED_MODEL_NAME, version).run_id
    mlflow.set_tracking_uri(stack["mlflow"])
    return mlflow.artifacts.load_dict(f"runs:/{run_id}/{settings.VALIDATION_SAMPLE_ARTIFACT}")["labels"]


def test_validate_endpoint_passes_when_predictions_match_the_labels(stack, registered, deployed):
    labels = labels_of(stack, registered["version"])
    endpoint_answers(stack, labels)
    result = validate_endpoint(min_accuracy=0.9)
    assert result == {
        "endpoint": stack["settings"].ENDPOINT_NAME,
        "version": registered["version"],
        "rows": len(labels),
        "accuracy": 1.0,
        "passed": True,
    }
    # Recorded on the version, where the portal's version timeline reads it.
    settings = stack["settings"]
    version = MlflowClient(stack["mlflow"]).get_model_version(
        settings.MLFLOW_REGISTERED_MODEL_NAME, registered["version"]
    )
    tags = version.tags
    record = json.loads(tags[f"validation.{settings.ENDPOINT_NAME}"])
    assert record["accuracy"] == 1.0 and record["rows"] == len(labels)
    assert record["latencyMs"] >= 0 and record["at"]


def test_validate_endpoint_fails_when_predictions_are_wrong(stack, registered, deployed):
    labels = labels_of(stack, registered["version"])
    endpoint_answers(stack, [1 - label for label in labels])
    result = validate_endpoint(min_accuracy=0.9)
    assert result["accuracy"] == 0.0 and not result["passed"]


def test_a_newer_version_replaces_the_served_one(stack, registered, deployed, update_endpoint):
    """UpdateEndpoint is answered by the conftest's stand-in (the emulator lacks it)."""
    settings = stack["settings"]
    newer = run_local(regularization=0.5, gate_threshold=0.5)["registered"]
    set_approval(newer["model_package_arn"], "Approved")
    sagemaker = boto3.client("sagemaker")
    # As if the endpoint had been deployed before the binding existed: the update binds it.
    sagemaker.delete_tags(ResourceArn=deployed["endpoint_arn"], TagKeys=[settings.BINDING_TAG])
    try:
        result = deploy(version=newer["version"])
        assert result["endpoint_arn"] == deployed["endpoint_arn"]
        updated = [request["EndpointConfigName"] for request in update_endpoint.requests]
        assert updated == [f"{settings.ENDPOINT_NAME}-v{newer['version']}"]
        config = sagemaker.describe_endpoint_config(EndpointConfigName=updated[0])
        assert config["ProductionVariants"][0]["ModelName"] == f"{settings.ENDPOINT_NAME}-v{newer['version']}"
        tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=deployed["endpoint_arn"])["Tags"]}
        assert tags[settings.META_MODEL_VERSION] == newer["version"]
        assert bindings(deployed["endpoint_arn"]) == [settings.ENTITY_REF]
    finally:
        deploy(version=registered["version"])  # the endpoint's tags name the served version again

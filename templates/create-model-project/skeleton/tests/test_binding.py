"""Two-way binding: what this project and the template create names the catalog entity back (settings.BINDING_TAG),
and the project refuses to change a pipeline bound to another entity. The endpoint's binding is tested with the
deployment (test_deploy_validate.py)."""

import json

import boto3
import pytest
from mlflow import MlflowClient

from pipelines.${{ values.packageName }}.binding import BindingError
from pipelines.run_pipeline import main as run_pipeline_main
from pipelines.run_pipeline import run_pipeline

ANOTHER_ENTITY = "component:default/another-model"


def bindings(arn):
    """Every value of the binding tag (a duplicate would show twice)."""
    tags = boto3.client("sagemaker").list_tags(ResourceArn=arn)["Tags"]
    return [tag["Value"] for tag in tags if tag["Key"] == "backstage.io/entity-ref"]


def test_the_entity_ref_is_the_components(stack):
    settings = stack["settings"]
    assert settings.BINDING_TAG == "backstage.io/entity-ref"
    assert settings.ENTITY_REF == f"component:default/{settings.MODEL_NAME}"


def test_the_registered_model_and_model_package_group_are_bound(stack):
    settings = stack["settings"]
    group = boto3.client("sagemaker").describe_model_package_group(
        ModelPackageGroupName=settings.MODEL_PACKAGE_GROUP_NAME
    )
    assert bindings(group["ModelPackageGroupArn"]) == [settings.ENTITY_REF]
    model = MlflowClient(stack["mlflow"]).get_registered_model(settings.MLFLOW_REGISTERED_MODEL_NAME)
    assert model.tags[settings.BINDING_TAG] == settings.ENTITY_REF


def test_the_pipeline_is_created_bound_and_bound_again_when_upserted(stack):
    settings = stack["settings"]
    arn = run_pipeline(start=False)["pipeline_arn"]
    assert bindings(arn) == [settings.ENTITY_REF]

    run_pipeline(start=False)
    assert bindings(arn) == [settings.ENTITY_REF]  # once: an update does not add it a second time

    # A pipeline created before the binding existed is bound by its next upsert.
    boto3.client("sagemaker").delete_tags(ResourceArn=arn, TagKeys=[settings.BINDING_TAG])
    run_pipeline(start=False)
    assert bindings(arn) == [settings.ENTITY_REF]


def test_refuses_to_change_a_pipeline_bound_to_another_entity(stack, monkeypatch):
    settings = stack["settings"]
    monkeypatch.setattr(settings, "PIPELINE_NAME", "another-models-pipeline")
    sagemaker = boto3.client("sagemaker")
    arn = sagemaker.create_pipeline(
        PipelineName="another-models-pipeline",
        RoleArn=settings.PIPELINE_ROLE_ARN,
        PipelineDefinition=json.dumps({"Version": "2020-12-01", "Steps": []}),
        PipelineDescription="another model's pipeline",
        Tags=[{"Key": settings.BINDING_TAG, "Value": ANOTHER_ENTITY}],
    )["PipelineArn"]

    with pytest.raises(BindingError, match=ANOTHER_ENTITY):
        run_pipeline(description="taken over")
    assert run_pipeline_main(["--no-start"]) == 2

    described = sagemaker.describe_pipeline(PipelineName="another-models-pipeline")
    assert described["PipelineDescription"] == "another model's pipeline"
    assert json.loads(described["PipelineDefinition"])["Steps"] == []
    assert bindings(arn) == [ANOTHER_ENTITY]
    executions = sagemaker.list_pipeline_executions(PipelineName="another-models-pipeline")
    assert executions["PipelineExecutionSummaries"] == []

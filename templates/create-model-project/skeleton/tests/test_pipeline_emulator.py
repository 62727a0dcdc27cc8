"""The pipeline upserts and starts against the SageMaker emulator; the steps' code goes to the emulator's S3."""

import json

import boto3

from pipelines.run_pipeline import run_pipeline


def test_upserts_the_pipeline_and_starts_an_execution(stack):
    settings = stack["settings"]
    result = run_pipeline({"RegularizationC": 0.5}, display_name="retrain-C0-5")

    sagemaker = boto3.client("sagemaker")
    described = sagemaker.describe_pipeline(PipelineName=settings.PIPELINE_NAME)
    assert described["PipelineArn"] == result["pipeline_arn"]
    assert described["RoleArn"] == settings.PIPELINE_ROLE_ARN
    step_names = {s["Name"] for s in json.loads(described["PipelineDefinition"])["Steps"]}
    assert "MetricGate" in step_names
    executions = sagemaker.list_pipeline_executions(PipelineName=settings.PIPELINE_NAME)["PipelineExecutionSummaries"]
    started = next(e for e in executions if e["PipelineExecutionArn"] == result["execution_arn"])
    assert started["PipelineExecutionDisplayName"] == "retrain-C0-5"
    parameters = sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=result["execution_arn"])
    assert {"Name": "RegularizationC", "Value": "0.5"} in parameters["PipelineParameters"]
    uploaded = boto3.client("s3").list_objects_v2(Bucket=settings.ARTIFACT_BUCKET, Prefix=settings.PIPELINE_NAME)
    assert any(o["Key"].endswith("payload.pkl") for o in uploaded.get("Contents", []))


def test_upserting_again_updates_the_same_pipeline(stack):
    first = run_pipeline(start=False)
    second = run_pipeline(start=False, description="updated")
    assert first["pipeline_arn"] == second["pipeline_arn"]
    described = boto3.client("sagemaker").describe_pipeline(PipelineName=stack["settings"].PIPELINE_NAME)
    assert described["PipelineDescription"] == "updated"

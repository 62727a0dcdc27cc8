"""Seeds the local stack with the demo model project by running the template's own generated code.

Usage: python dev/seed/seed.py --mlflow-url URL --sagemaker-endpoint URL --project-dir DIR

Renders templates/create-model-project for `demo-model` into DIR, provisions what the template's actions and a
platform team would (role, bucket, model package group, MLflow experiment and model), then uses the project's
entry points as its CI does: run_pipeline upserts the pipeline and starts one execution per setting, and waits
for them: the emulator (dev/emulator) runs each execution's steps, which train, evaluate, gate and register (MLflow
version + SageMaker model package); deploy puts the champion on the staging endpoint (whose rollback alarms are
created first, as the project's infra/endpoint.yaml would). Every resource is bound to the demo component (tag backstage.io/entity-ref =
component:default/demo-model), as the template's actions and the project's code bind theirs: the experiment,
registered model and group here, the pipeline and endpoint by the project's code.
Re-runnable: MLflow keeps its store between starts (its experiment and model are bound again, a store from before
the binding included); the emulator (in memory) is refilled on every start: the versions of earlier starts get
model packages again, and one execution runs instead of the whole grid.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

import boto3
from mlflow import MlflowClient

sys.path.insert(0, os.path.dirname(__file__))
import render_template

MODEL_NAME = "demo-model"
REGION, ACCOUNT = "us-east-1", "123456789012"
GATE_THRESHOLD = 0.93
# One weak setting on purpose: its accuracy stays under the gate, so its execution fails at the gate (logged, never
# registered).
REGULARIZATION_GRID = (0.0001, 1.0, 0.1, 0.01)
GATE_FAIL_STEP = "BelowGate"  # the template pipeline's Fail step, taken when a run is under the gate


def point_project_at_stack(mlflow_url: str, sagemaker_endpoint: str) -> None:
    """The project reads its targets from the environment (see its settings.py); the emulator takes any keys."""
    os.environ.update({
        "MLFLOW_TRACKING_URI": mlflow_url,
        "AWS_ENDPOINT_URL": sagemaker_endpoint,
        "AWS_ACCESS_KEY_ID": "model-factory-local",
        "AWS_SECRET_ACCESS_KEY": "model-factory-local",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "SAGEMAKER_TELEMETRY_OPT_OUT": "true",
    })


def provision_aws(role_arn: str, bucket: str) -> None:
    """What a platform team provides a model project: a pipeline role SageMaker may assume, an artifact bucket.

    The generated project's tests/conftest.py does the same for its own emulator: the project stands alone and
    must not ship an allow-all role creator in its code, so each keeps its copy (change both together).
    """
    iam = boto3.client("iam")
    role = role_arn.rsplit("/", 1)[-1]
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    try:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName=role, PolicyName="pipeline", PolicyDocument=json.dumps(allow_all))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    s3 = boto3.client("s3")
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass


def provision(settings, binding, client: MlflowClient) -> None:
    """What the template's provisioning actions and the platform team create before the project's first run."""
    provision_aws(settings.PIPELINE_ROLE_ARN, settings.ARTIFACT_BUCKET)
    # A project created from the template with its default role and bucket runs on this stack too.
    defaults = render_template.template_defaults()
    provision_aws(defaults["roleArn"], defaults["artifactBucket"])
    sagemaker = boto3.client("sagemaker")
    group = settings.MODEL_PACKAGE_GROUP_NAME
    groups = sagemaker.list_model_package_groups(NameContains=group)["ModelPackageGroupSummaryList"]
    group_arn = next((g["ModelPackageGroupArn"] for g in groups if g["ModelPackageGroupName"] == group), None)
    if group_arn is None:
        group_arn = sagemaker.create_model_package_group(
            ModelPackageGroupName=group,
            ModelPackageGroupDescription="Approved versions of the demo model",
            Tags=[binding.binding_tag()],
        )["ModelPackageGroupArn"]
    binding.bind(sagemaker, group_arn)
    # MLflow keeps its store across starts: an experiment or model from an earlier start is bound here too.
    bound = {settings.BINDING_TAG: settings.ENTITY_REF}
    experiment = client.get_experiment_by_name(settings.MLFLOW_EXPERIMENT_NAME)
    if experiment is None:
        client.create_experiment(settings.MLFLOW_EXPERIMENT_NAME, tags=bound)
    else:
        client.set_experiment_tag(experiment.experiment_id, settings.BINDING_TAG, settings.ENTITY_REF)
    if not client.search_registered_models(filter_string=f"name = '{MODEL_NAME}'"):
        client.create_registered_model(
            MODEL_NAME, description="Breast cancer classifier of the demo model project", tags=bound
        )
    else:
        client.set_registered_model_tag(MODEL_NAME, settings.BINDING_TAG, settings.ENTITY_REF)


def provision_release_alarms(stages) -> None:
    """The staging endpoint's CloudWatch alarms, as the project's infra/endpoint.yaml creates them: its deploy
    names them as the blue/green update's auto-rollback alarms and refuses a stage without them."""
    cloudwatch = boto3.client("cloudwatch")
    for alarm in stages.stage("staging").alarm_names:
        cloudwatch.put_metric_alarm(
            AlarmName=alarm, Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors", Statistic="Sum",
            Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
        )


def run_executions(run_pipeline, wait_for, grid) -> list[str]:
    """Upserts the pipeline as CI does, starts one execution per setting and waits for all of them; a step that
    fails other than at the metric gate fails the seed with its reason."""
    pipeline_name = run_pipeline(start=False)["pipeline_arn"].rsplit("/", 1)[-1]
    sagemaker = boto3.client("sagemaker")
    arns = [
        sagemaker.start_pipeline_execution(
            PipelineName=pipeline_name,
            PipelineParameters=[{"Name": "RegularizationC", "Value": str(c)}],
            PipelineExecutionDisplayName=f"train-C{c}".replace(".", "-"),
            PipelineExecutionDescription="Preprocess, train, evaluate, gate and register the demo model",
        )["PipelineExecutionArn"]
        for c in grid
    ]
    for arn in arns:
        result = wait_for(sagemaker, arn, poll_seconds=2, timeout_seconds=900)
        unexpected = [f for f in result["failed_steps"] if f["step"] != GATE_FAIL_STEP]
        if result.get("timed_out") or unexpected:
            raise RuntimeError(f"execution {arn} ended {result['status']}: {unexpected or 'did not end in 15 min'}")
        print(f"execution {arn.rsplit('/', 1)[-1]}: {result['status']}", file=sys.stderr)
    return arns


def relink_versions(client: MlflowClient, register, settings) -> None:
    """The emulator forgot the packages of the versions an earlier start registered: register them again."""
    for version in sorted(client.search_model_versions(f"name = '{MODEL_NAME}'"), key=lambda v: int(v.version)):
        arn = register.create_model_package(version.version, version.run_id, version.source)
        client.set_model_version_tag(MODEL_NAME, version.version, settings.TAG_MODEL_PACKAGE_ARN, arn)


def review(client: MlflowClient, settings) -> str:
    """A reviewer's decisions: the best version is champion and Approved, the newest other one Pending, the rest
    Rejected (the executions run side by side: the best may well be the newest)."""
    versions = client.search_model_versions(f"name = '{MODEL_NAME}'")
    if len(versions) < 2:
        raise RuntimeError(f"expected at least two runs to pass the {settings.GATE_METRIC} >= {GATE_THRESHOLD} gate")
    metric = {v.version: client.get_run(v.run_id).data.metrics[settings.GATE_METRIC] for v in versions}
    champion = max(metric, key=lambda v: (metric[v], int(v)))
    newest = max((v for v in metric if v != champion), key=int)
    client.set_registered_model_alias(MODEL_NAME, "champion", champion)
    sagemaker = boto3.client("sagemaker")
    for v in versions:
        status = "Approved" if v.version == champion else "PendingManualApproval" if v.version == newest else "Rejected"
        arn = v.tags[settings.TAG_MODEL_PACKAGE_ARN]
        metadata = sagemaker.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"]
        # Repeats the metadata: moto 5.2.1 clears what an update does not name (AWS keeps it).
        sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status, CustomerMetadataProperties=metadata)
    return champion


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mlflow-url", required=True)
    parser.add_argument("--sagemaker-endpoint", required=True)
    parser.add_argument("--project-dir", required=True, type=Path, help="where to render the demo model project")
    args = parser.parse_args()

    values = render_template.demo_values(MODEL_NAME, ACCOUNT, REGION, args.mlflow_url)
    values["gateThreshold"] = GATE_THRESHOLD
    project = render_template.render(values, args.project_dir)
    point_project_at_stack(args.mlflow_url, args.sagemaker_endpoint)
    sys.path.insert(0, str(project))
    package = f"pipelines.{values['packageName']}"
    settings = importlib.import_module(f"{package}.settings")
    register = importlib.import_module(f"{package}.register")
    binding = importlib.import_module(f"{package}.binding")
    run_pipeline_module = importlib.import_module("pipelines.run_pipeline")
    deploy = importlib.import_module("pipelines.deploy").deploy
    stages = importlib.import_module("pipelines.stages")

    client = MlflowClient(args.mlflow_url)
    provision(settings, binding, client)
    earlier_versions = client.search_model_versions(f"name = '{MODEL_NAME}'")
    if earlier_versions:
        relink_versions(client, register, settings)
    execution_arns = run_executions(
        run_pipeline_module.run_pipeline,
        run_pipeline_module.wait_for,
        REGULARIZATION_GRID[-1:] if earlier_versions else REGULARIZATION_GRID,
    )
    champion = review(client, settings)
    provision_release_alarms(stages)
    deployed = deploy(alias="champion")

    print(json.dumps({
        "project": str(project),
        "registered_model": MODEL_NAME,
        "champion": champion,
        "pipeline_executions": execution_arns,
        "endpoint": deployed["endpoint_arn"],
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

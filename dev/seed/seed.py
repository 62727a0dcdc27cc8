"""Seeds the local stack with the demo model project by running the template's own generated code.

Usage: python dev/seed/seed.py --mlflow-url URL --sagemaker-endpoint URL --project-dir DIR

Renders templates/create-model-project for `demo-model` into DIR, provisions what the template's actions and a
platform team would (role, bucket, model package group, MLflow experiment and model), then uses the project's
entry points: run_pipeline upserts the pipeline and starts one execution per setting, run_local trains,
evaluates, gates and registers (MLflow version + SageMaker model package), deploy puts the champion on the
staging endpoint. Every resource is bound to the demo component (tag backstage.io/entity-ref =
component:default/demo-model), as the template's actions and the project's code bind theirs: the experiment,
registered model and group here, the pipeline and endpoint by the project's code.
Re-runnable: MLflow keeps its store between starts and is trained once (its experiment and model are bound again,
a store from before the binding included); the emulator (in memory) is refilled on every start, and the runs and
versions are re-linked to this start's SageMaker objects.
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
import render_template  # noqa: E402

MODEL_NAME = "demo-model"
REGION, ACCOUNT = "us-east-1", "123456789012"
GATE_THRESHOLD = 0.93
# One weak setting on purpose: its accuracy stays under the gate, so it is logged but never registered.
REGULARIZATION_GRID = (0.0001, 1.0, 0.1, 0.01)


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


def start_executions(run_pipeline) -> list[str]:
    return [
        run_pipeline({"RegularizationC": c}, display_name=f"train-C{c}".replace(".", "-"),
                     description="Preprocess, train, evaluate, gate and register the demo model")["execution_arn"]
        for c in REGULARIZATION_GRID
    ]


def train_and_register(run_local, execution_arns: list[str]) -> None:
    for c, arn in zip(REGULARIZATION_GRID, execution_arns, strict=True):
        run_local(regularization=c, gate_threshold=GATE_THRESHOLD, execution_arn=arn)


def relink(client: MlflowClient, register, settings, execution_arns: list[str]) -> None:
    """The emulator forgot the old executions and packages: point the runs and versions at new ones."""
    experiment = client.get_experiment_by_name(MODEL_NAME)
    runs = sorted(client.search_runs([experiment.experiment_id]), key=lambda r: r.info.start_time)
    for run, arn in zip(runs, execution_arns, strict=False):
        client.set_tag(run.info.run_id, settings.TAG_PIPELINE_EXECUTION_ARN, arn)
    for version in sorted(client.search_model_versions(f"name = '{MODEL_NAME}'"), key=lambda v: int(v.version)):
        arn = register.create_model_package(version.version, version.run_id, version.source)
        client.set_model_version_tag(MODEL_NAME, version.version, settings.TAG_MODEL_PACKAGE_ARN, arn)


def review(client: MlflowClient, settings) -> str:
    """A reviewer's decisions: the best version is champion and Approved, the newest Pending, the rest Rejected."""
    versions = client.search_model_versions(f"name = '{MODEL_NAME}'")
    if len(versions) < 2:
        raise RuntimeError(f"expected at least two runs to pass the {settings.GATE_METRIC} >= {GATE_THRESHOLD} gate")
    metric = {v.version: client.get_run(v.run_id).data.metrics[settings.GATE_METRIC] for v in versions}
    champion = max(metric, key=lambda v: (metric[v], int(v)))
    newest = max(metric, key=int)
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
    run_pipeline = importlib.import_module("pipelines.run_pipeline").run_pipeline
    run_local = importlib.import_module("pipelines.run_local").run_local
    deploy = importlib.import_module("pipelines.deploy").deploy

    client = MlflowClient(args.mlflow_url)
    provision(settings, binding, client)
    execution_arns = start_executions(run_pipeline)
    if len(client.search_model_versions(f"name = '{MODEL_NAME}'")) < 2:
        train_and_register(run_local, execution_arns)
    else:
        relink(client, register, settings, execution_arns)
    champion = review(client, settings)
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

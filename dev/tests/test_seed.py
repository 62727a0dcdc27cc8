"""The demo data that scripts/test (like scripts/dev) seeded, read back over MLflow's REST API and the AWS API."""
import json

import requests
import yaml

from pathlib import Path

CATALOG = Path(__file__).resolve().parents[1] / "catalog" / "demo-model.yaml"


def component():
    return next(d for d in yaml.safe_load_all(CATALOG.read_text()) if d["kind"] == "Component")


def annotations():
    return component()["metadata"]["annotations"]


def entity_ref():
    metadata = component()["metadata"]
    return f"component:{metadata.get('namespace', 'default')}/{metadata['name']}"


def mlflow_get(base: str, path: str, **params):
    response = requests.get(f"{base}/api/2.0/mlflow/{path}", params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def test_mlflow_has_the_experiment_with_several_logged_runs(mlflow_url):
    experiment = mlflow_get(mlflow_url, "experiments/get-by-name", experiment_name=annotations()["mlflow.org/experiment-name"])
    runs = requests.post(
        f"{mlflow_url}/api/2.0/mlflow/runs/search",
        json={"experiment_ids": [experiment["experiment"]["experiment_id"]]},
        timeout=10,
    ).json()["runs"]
    assert len(runs) >= 3
    for run in runs:
        metrics = {m["key"] for m in run["data"]["metrics"]}
        params = {p["key"] for p in run["data"]["params"]}
        tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
        assert {"accuracy", "f1", "roc_auc"} <= metrics
        assert {"C", "model"} <= params
        assert tags["sagemaker.pipeline_execution_arn"].startswith("arn:aws:sagemaker:us-east-1:123456789012:pipeline/demo-model-pipeline/execution/")


def test_registered_model_has_versions_an_alias_and_a_validation_sample(mlflow_url):
    name = annotations()["mlflow.org/registered-model-name"]
    model = mlflow_get(mlflow_url, "registered-models/get", name=name)["registered_model"]
    assert {a["alias"] for a in model.get("aliases", [])} == {"champion"}
    versions = mlflow_get(mlflow_url, "model-versions/search", filter=f"name='{name}'")["model_versions"]
    assert len(versions) >= 2
    champion = mlflow_get(mlflow_url, "registered-models/alias", name=name, alias="champion")["model_version"]
    # The validation sample is logged beside the model: features and the true label of each row.
    sample = requests.get(
        f"{mlflow_url}/get-artifact",
        params={"run_uuid": champion["run_id"], "path": "validation/validation_sample.json"},
        timeout=10,
    )
    sample.raise_for_status()
    body = json.loads(sample.content)
    assert len(body["data"]) == len(body["labels"]) >= 10
    assert len(body["columns"]) == len(body["data"][0]) == 30
    assert set(body["labels"]) <= {0, 1}


def test_emulator_has_the_pipeline_with_several_executions(sagemaker):
    arn = annotations()["aws.amazon.com/sagemaker-pipeline-arn"]
    pipeline = sagemaker.describe_pipeline(PipelineName=arn.split("/")[-1])
    assert pipeline["PipelineArn"] == arn
    steps = {s["Name"] for s in json.loads(pipeline["PipelineDefinition"])["Steps"]}
    assert {"Preprocess", "Train", "Evaluate", "MetricGate"} <= steps
    executions = sagemaker.list_pipeline_executions(PipelineName=arn.split("/")[-1])["PipelineExecutionSummaries"]
    assert len(executions) >= 3


def test_model_packages_have_different_approval_states_and_link_to_mlflow(sagemaker):
    group = annotations()["aws.amazon.com/sagemaker-model-package-group-arn"].split("/")[-1]
    packages = sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    assert {p["ModelApprovalStatus"] for p in packages} == {"Approved", "PendingManualApproval", "Rejected"}
    described = sagemaker.describe_model_package(ModelPackageName=packages[0]["ModelPackageArn"])
    assert described["CustomerMetadataProperties"]["mlflow.registered_model_name"] == "demo-model"


def test_endpoint_is_in_service_and_tagged_with_its_model_version(sagemaker):
    arn = annotations()["aws.amazon.com/sagemaker-endpoint-arns"].split(",")[0]
    endpoint = sagemaker.describe_endpoint(EndpointName=arn.split("/")[-1])
    assert endpoint["EndpointArn"] == arn
    assert endpoint["EndpointStatus"] == "InService"
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}
    assert tags["mlflow.registered_model_name"] == "demo-model"


BINDING_TAG = "backstage.io/entity-ref"


def test_every_seeded_resource_names_the_demo_component_back(sagemaker, mlflow_url):
    """The two-way binding: the portal writes only to a resource whose binding tag is the entity's ref."""
    ref = entity_ref()
    assert ref == "component:default/demo-model"
    arns = [
        annotations()["aws.amazon.com/sagemaker-pipeline-arn"],
        annotations()["aws.amazon.com/sagemaker-model-package-group-arn"],
        *annotations()["aws.amazon.com/sagemaker-endpoint-arns"].split(","),
    ]
    for arn in arns:
        tags = sagemaker.list_tags(ResourceArn=arn)["Tags"]
        # Exactly one: the emulator keeps a duplicate key that AddTags added again.
        assert [t["Value"] for t in tags if t["Key"] == BINDING_TAG] == [ref], arn

    model = mlflow_get(mlflow_url, "registered-models/get", name=annotations()["mlflow.org/registered-model-name"])
    assert {t["key"]: t["value"] for t in model["registered_model"]["tags"]}[BINDING_TAG] == ref
    experiment = mlflow_get(
        mlflow_url, "experiments/get-by-name", experiment_name=annotations()["mlflow.org/experiment-name"]
    )
    assert {t["key"]: t["value"] for t in experiment["experiment"]["tags"]}[BINDING_TAG] == ref

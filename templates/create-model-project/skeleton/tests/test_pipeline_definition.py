"""The pipeline definition builds without AWS (moto's in-process mock stands in for S3) and has the right shape."""

import json

import pytest
from moto import mock_aws

from pipelines.${{ values.packageName }} import settings
from pipelines.${{ values.packageName }}.pipeline import get_pipeline


@pytest.fixture(scope="module")
def definition():
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        patch.delenv("AWS_ENDPOINT_URL", raising=False)  # offline: nothing leaves this process
        import boto3

        boto3.client("s3").create_bucket(Bucket=settings.ARTIFACT_BUCKET)
        return json.loads(get_pipeline().definition())


def steps_by_name(steps, found=None):
    found = {} if found is None else found
    for step in steps:
        found[step["Name"]] = step
        if step["Type"] == "Condition":
            steps_by_name(step["Arguments"]["IfSteps"] + step["Arguments"]["ElseSteps"], found)
    return found


def test_has_the_parameters_with_their_defaults(definition):
    parameters = {p["Name"]: p for p in definition["Parameters"]}
    assert set(parameters) == {"TestSize", "RegularizationC", "MaxIter", "GateThreshold"}
    assert parameters["GateThreshold"]["DefaultValue"] == settings.GATE_THRESHOLD


def test_runs_preprocess_train_evaluate_in_order(definition):
    steps = steps_by_name(definition["Steps"])
    assert set(steps) == {"Preprocess", "Train", "Evaluate", "MetricGate", "Register", "BelowGate"}
    assert steps["Train"]["DependsOn"] == ["Preprocess"]
    assert set(steps["Evaluate"]["DependsOn"]) == {"Preprocess", "Train"}


def test_registers_only_when_the_metric_reaches_the_gate(definition):
    gate = steps_by_name(definition["Steps"])["MetricGate"]
    [condition] = gate["Arguments"]["Conditions"]
    assert condition["Type"] == "GreaterThanOrEqualTo"
    assert condition["LeftValue"]["Std:JsonGet"]["Path"] == f"Result['{settings.GATE_METRIC}']"
    assert condition["RightValue"] == {"Get": "Parameters.GateThreshold"}
    [register] = gate["Arguments"]["IfSteps"]
    assert register["Name"] == "Register"
    assert [s["Type"] for s in gate["Arguments"]["ElseSteps"]] == ["Fail"]


def test_steps_receive_the_parameters_and_the_execution_they_run_in(definition):
    steps = steps_by_name(definition["Steps"])
    train, register = json.dumps(steps["Train"]), json.dumps(steps["Register"])
    assert "Parameters.RegularizationC" in train and "Execution.PipelineExecutionArn" in train
    assert "Parameters.GateThreshold" in register  # the version records the gate it passed


def test_steps_know_where_mlflow_is(definition):
    environment = steps_by_name(definition["Steps"])["Train"]["Arguments"]["Environment"]
    assert environment["MLFLOW_EXPERIMENT_NAME"] == settings.MLFLOW_EXPERIMENT_NAME
    assert environment["MLFLOW_TRACKING_URI"] == settings.MLFLOW_TRACKING_URI

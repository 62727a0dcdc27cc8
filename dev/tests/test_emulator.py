"""The SageMaker emulator runs pipelines (dev/emulator): read back over the AWS API from the stack scripts/test started.

The seed ran the demo project's pipeline there once per setting; these tests check what those executions left,
and start small pipelines of their own (no @step jobs, so they end in a second).
"""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "emulator"))
from expressions import (
    ExpressionError,
    Scope,
    evaluate,
    holds,
    property_path,
    referenced_steps,
)

DEMO_PIPELINE = "demo-model-pipeline"
ROLE = "arn:aws:iam::123456789012:role/demo-model-pipeline"


def executions(sagemaker, pipeline=DEMO_PIPELINE):
    return sagemaker.list_pipeline_executions(PipelineName=pipeline)["PipelineExecutionSummaries"]


def steps_of(sagemaker, arn, **kwargs):
    return sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn, **kwargs)["PipelineExecutionSteps"]


def wait_until_ended(sagemaker, arn, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        if described["PipelineExecutionStatus"] not in ("Executing", "Stopping"):
            return described
        assert time.monotonic() < deadline, f"{arn} still {described['PipelineExecutionStatus']} after {seconds}s"
        time.sleep(0.5)


def start_own_pipeline(sagemaker, steps, parameters=(), values=()):
    """A pipeline of this test only (its own name): returns the started execution's ARN."""
    name = f"emulator-test-{uuid.uuid4().hex[:8]}"
    definition = {"Version": "2020-12-01", "Parameters": list(parameters), "Steps": steps}
    sagemaker.create_pipeline(PipelineName=name, PipelineDefinition=json.dumps(definition), RoleArn=ROLE)
    return sagemaker.start_pipeline_execution(
        PipelineName=name, PipelineParameters=[{"Name": k, "Value": v} for k, v in values]
    )["PipelineExecutionArn"]


# --- what the seed's executions of the demo project's pipeline left -------------------------------------------


def test_the_seeds_executions_ran_every_step_with_real_times(sagemaker):
    succeeded = [e for e in executions(sagemaker) if e["PipelineExecutionStatus"] == "Succeeded"]
    assert len(succeeded) >= 3
    for execution in succeeded:
        steps = steps_of(sagemaker, execution["PipelineExecutionArn"])
        assert [s["StepName"] for s in steps] == ["Register", "MetricGate", "Evaluate", "Train", "Preprocess"]
        assert {s["StepStatus"] for s in steps} == {"Succeeded"}
        gate = next(s for s in steps if s["StepName"] == "MetricGate")
        assert gate["Metadata"] == {"Condition": {"Outcome": "True"}}
        train = next(s for s in steps if s["StepName"] == "Train")
        assert train["Metadata"]["TrainingJob"]["Arn"].startswith("arn:aws:sagemaker:us-east-1:123456789012:training-job/")
        assert (train["EndTime"] - train["StartTime"]).total_seconds() > 0.1
        described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution["PipelineExecutionArn"])
        assert (described["LastModifiedTime"] - described["CreationTime"]).total_seconds() > 1
        # The caller, not moto's fake Studio user.
        assert described["CreatedBy"]["IamIdentity"]["Arn"] == "arn:aws:iam::123456789012:user/model-factory-local"


def test_the_weak_setting_fails_at_the_gate_with_the_fail_steps_message(sagemaker):
    failed = [e for e in executions(sagemaker) if e["PipelineExecutionStatus"] == "Failed"]
    assert failed, "the seed's weak setting should have failed at the metric gate"
    arn = failed[0]["PipelineExecutionArn"]
    steps = {s["StepName"]: s for s in steps_of(sagemaker, arn)}
    assert set(steps) == {"Preprocess", "Train", "Evaluate", "MetricGate", "BelowGate"}  # Register never ran
    assert steps["MetricGate"]["Metadata"] == {"Condition": {"Outcome": "False"}}
    assert steps["BelowGate"]["StepStatus"] == "Failed"
    assert steps["BelowGate"]["FailureReason"] == "accuracy is below the registration gate"
    described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
    assert described["FailureReason"] == "accuracy is below the registration gate"


def test_steps_are_paginated_with_next_token(sagemaker):
    arn = next(e for e in executions(sagemaker) if e["PipelineExecutionStatus"] == "Succeeded")["PipelineExecutionArn"]
    first = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn, MaxResults=2)
    assert len(first["PipelineExecutionSteps"]) == 2 and first["NextToken"]
    names = [s["StepName"] for page in sagemaker.get_paginator("list_pipeline_execution_steps").paginate(
        PipelineExecutionArn=arn, PaginationConfig={"PageSize": 2}) for s in page["PipelineExecutionSteps"]]
    assert names == ["Register", "MetricGate", "Evaluate", "Train", "Preprocess"]
    with pytest.raises(sagemaker.exceptions.ClientError, match="NextToken"):
        sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn, NextToken="not-a-token")


def test_run_pipeline_wait_fails_the_build_with_the_failing_steps_reason(mlflow_url):
    """What the generated project's CI runs, on an execution that fails: the gate set above any accuracy."""
    project = os.environ.get("MODEL_FACTORY_TEST_DEMO_PROJECT")
    if not project:
        pytest.fail("MODEL_FACTORY_TEST_DEMO_PROJECT is not set: run these tests through ./scripts/test")
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": mlflow_url,
        "AWS_ENDPOINT_URL": os.environ["MODEL_FACTORY_TEST_SAGEMAKER_ENDPOINT"],
        "AWS_ACCESS_KEY_ID": "model-factory-local",
        "AWS_SECRET_ACCESS_KEY": "model-factory-local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SAGEMAKER_TELEMETRY_OPT_OUT": "true",
    }
    command = ["-m", "pipelines.run_pipeline", "--wait", "--display-name", "gate-too-high"]
    ended = subprocess.run(
        [sys.executable, "-W", "ignore", *command, "--parameters", '{"GateThreshold": 1.5}'],
        cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert ended.returncode == 1, ended.stderr[-2000:]
    assert "run-pipeline: step BelowGate failed: accuracy is below the registration gate" in ended.stderr
    assert json.loads(ended.stdout.strip().splitlines()[-1])["status"] == "Failed"


# --- pipelines of the tests' own --------------------------------------------------------------------------------


def test_a_condition_takes_the_branch_its_parameter_selects(sagemaker):
    steps = [{
        "Name": "IsLarge",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Get": "Parameters.Size"}, "RightValue": 5}],
            "IfSteps": [{"Name": "Large", "Type": "Fail", "Arguments": {"ErrorMessage": {
                "Std:Join": {"On": " ", "Values": ["size", {"Get": "Parameters.Size"}, "is large"]}}}}],
            "ElseSteps": [{"Name": "Small", "Type": "Fail", "Arguments": {"ErrorMessage": "small"}}],
        },
    }]
    parameters = [{"Name": "Size", "Type": "Integer", "DefaultValue": 1}]
    large = wait_until_ended(sagemaker, start_own_pipeline(sagemaker, steps, parameters, [("Size", "7")]))
    small_arn = start_own_pipeline(sagemaker, steps, parameters)
    small = wait_until_ended(sagemaker, small_arn)
    # The parameters as SageMaker lists them: a default where none was given.
    listed = sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=small_arn)["PipelineParameters"]
    assert listed == [{"Name": "Size", "Value": "1"}]
    assert (large["PipelineExecutionStatus"], large["FailureReason"]) == ("Failed", "size 7 is large")
    assert (small["PipelineExecutionStatus"], small["FailureReason"]) == ("Failed", "small")


def test_a_step_the_emulator_cannot_run_fails_saying_so_and_later_steps_do_not_start(sagemaker):
    steps = [
        {"Name": "Preprocess", "Type": "Processing", "Arguments": {"ProcessingResources": {}}},
        {"Name": "Report", "Type": "Fail", "DependsOn": ["Preprocess"], "Arguments": {"ErrorMessage": "unreached"}},
    ]
    arn = start_own_pipeline(sagemaker, steps)
    described = wait_until_ended(sagemaker, arn)
    assert described["PipelineExecutionStatus"] == "Failed"
    (only,) = steps_of(sagemaker, arn)
    assert only["StepName"] == "Preprocess" and only["StepStatus"] == "Failed"
    assert "a Processing step needs a container" in only["FailureReason"]


def test_stop_stops_a_running_execution_and_refuses_an_ended_one(sagemaker):
    """The demo pipeline again, stopped while its first job runs: no run is logged, nothing is registered."""
    arn = sagemaker.start_pipeline_execution(PipelineName=DEMO_PIPELINE, PipelineExecutionDisplayName="stop-test")[
        "PipelineExecutionArn"
    ]
    assert sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"] == "Executing"
    deadline = time.monotonic() + 10
    while not steps_of(sagemaker, arn):  # the first step starts a moment after the execution
        assert time.monotonic() < deadline
        time.sleep(0.1)
    sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken=uuid.uuid4().hex * 2)
    described = wait_until_ended(sagemaker, arn)
    assert described["PipelineExecutionStatus"] == "Stopped"
    statuses = {s["StepName"]: s["StepStatus"] for s in steps_of(sagemaker, arn)}
    assert statuses == {"Preprocess": "Stopped"}
    with pytest.raises(sagemaker.exceptions.ClientError, match="only an executing one can be stopped"):
        sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken=uuid.uuid4().hex * 2)


# --- the definition's expressions -------------------------------------------------------------------------------


def scope(**kwargs):
    files = {"s3://b/eval/evaluation.json": b'{"regression_metrics": {"mse": {"value": 4.2}}}'}
    return Scope(
        parameters={"Threshold": 6.0, "Name": "abalone"},
        execution={"PipelineExecutionId": "abc"},
        step_properties={"Preprocess": {"ProcessingOutputConfig": {"Outputs": [
            {"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}}]}}},
        property_files={"Evaluate": {"EvaluationReport": "s3://b/eval/evaluation.json"}},
        read_s3=lambda uri: files[uri],
        **kwargs,
    )


def test_property_references_joins_and_json_gets_evaluate_as_sagemaker_does():
    train = {"Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}
    assert evaluate(train, scope()) == "s3://b/train"
    joined = {"Std:Join": {"On": "/", "Values": [train, {"Get": "Execution.PipelineExecutionId"}, 3]}}
    assert evaluate(joined, scope()) == "s3://b/train/abc/3"
    mse = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
                           "Path": "regression_metrics.mse.value"}}
    s = scope()
    s.step_properties["Evaluate"] = {}
    assert evaluate(mse, s) == 4.2
    assert holds({"Type": "LessThanOrEqualTo", "LeftValue": mse, "RightValue": {"Get": "Parameters.Threshold"}}, s)
    assert holds({"Type": "Not", "Expression": {"Type": "Equals", "LeftValue": "1.5", "RightValue": 2}}, s)
    assert holds({"Type": "In", "QueryValue": {"Get": "Parameters.Name"}, "Values": ["x", "abalone"]}, s)
    assert referenced_steps({"a": [train, mse]}) == {"Preprocess", "Evaluate"}


def test_an_expression_that_cannot_be_evaluated_says_what_is_missing():
    with pytest.raises(ExpressionError, match="'Evaluate' has not run"):
        evaluate({"Get": "Steps.Evaluate.ProcessingOutputConfig"}, scope())
    with pytest.raises(ExpressionError, match="Parameter 'Missing' is not defined"):
        evaluate({"Get": "Parameters.Missing"}, scope())
    with pytest.raises(ExpressionError, match="no item named 'test'"):
        property_path({"Outputs": [{"OutputName": "train"}]}, "Outputs['test']")
    with pytest.raises(ExpressionError, match="Unsupported condition type"):
        holds({"Type": "Matches"}, scope())

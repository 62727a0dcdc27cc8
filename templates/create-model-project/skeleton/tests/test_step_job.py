"""The steps run as their SageMaker jobs run them, not imported here.

The SDK serializes each step (function, arguments, the project's code as a workspace) to the emulator's S3 when
the pipeline definition is built. Each job here fetches its workspace from S3, unpacks it as the job's bootstrap
does and runs the SDK's job entry point (`python -m sagemaker.core.remote_function.invoke_function` with the
step's ContainerArguments) in a fresh process with the step's environment and the workspace as its directory.
The container image itself is not pulled: the process runs this Python, which has requirements.txt installed.
"""

import io
import json
import os
import secrets
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest
from mlflow import MlflowClient

from pipelines.${{ values.packageName }} import pipeline as pipeline_module
from pipelines.${{ values.packageName }}.preprocess import DATA_URI

GIT_SHA = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
WORKSPACE = "sagemaker_remote_function_workspace"
# The job's entry point, run as the container runs it; the SDK's failure file (/opt/ml/output/failure in a
# container) goes to the job's directory, and the job reports where it imported the project's code from.
ENTRY_POINT = """
import atexit, runpy, sys
from sagemaker.core.remote_function import errors
errors.FAILURE_REASON_PATH = sys.argv.pop(1)
atexit.register(lambda: print("pipelines imported from", sys.modules["pipelines"].__file__, file=sys.stderr))
sys.argv[0] = "invoke_function"
runpy.run_module("sagemaker.core.remote_function.invoke_function", run_name="__main__", alter_sys=True)
"""


def steps_by_name(steps, found=None):
    found = {} if found is None else found
    for step in steps:
        found[step["Name"]] = step
        if step["Type"] == "Condition":
            steps_by_name(step["Arguments"]["IfSteps"] + step["Arguments"]["ElseSteps"], found)
    return found


class Execution:
    """One pipeline execution's values: what its steps' property references resolve to."""

    def __init__(self, definition: dict, parameters: dict):
        self.id = secrets.token_hex(6)
        name = definition.get("PipelineName", "pipeline")
        self.arn = f"arn:aws:sagemaker:us-east-1:123456789012:pipeline/{name}/execution/{self.id}"
        self.parameters = {p["Name"]: p.get("DefaultValue") for p in definition["Parameters"]} | parameters
        self.steps = steps_by_name(definition["Steps"])

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict) and "Get" in value:
            return self.get(value["Get"])
        if isinstance(value, dict) and "Std:Join" in value:
            join = value["Std:Join"]
            return join["On"].join(str(self.resolve(v)) for v in join["Values"])
        return value

    def get(self, path: str):
        kind, rest = path.split(".", 1)
        if kind == "Execution":
            return {"PipelineExecutionId": self.id, "PipelineExecutionArn": self.arn}[rest]
        if kind == "Parameters":
            return self.parameters[rest]
        step, attribute = rest.split(".", 1)
        assert attribute == "OutputDataConfig.S3OutputPath", f"the jobs here resolve no {path}"
        return self.resolve(self.steps[step]["Arguments"]["OutputDataConfig"]["S3OutputPath"])


def run_job(step: dict, execution: Execution, job_dir: Path, emulator: str) -> subprocess.CompletedProcess:
    arguments = step["Arguments"]
    container_args = [str(a) for a in execution.resolve(arguments["AlgorithmSpecification"]["ContainerArguments"])]
    channel = container_args[container_args.index("--func_step_s3_dir") + 1]
    [source] = [c for c in arguments["InputDataConfig"] if c["ChannelName"] == channel]
    # An S3Prefix channel: every object under the prefix (the archive, or the folder holding it).
    bucket, prefix = source["DataSource"]["S3DataSource"]["S3Uri"].removeprefix("s3://").split("/", 1)
    s3 = boto3.client("s3")
    for listed in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]:
        assert listed["Key"].endswith("/workspace.zip"), listed["Key"]
        archive = s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read()
        with zipfile.ZipFile(io.BytesIO(archive)) as workspace_zip:
            workspace_zip.extractall(job_dir)
    workspace = job_dir / WORKSPACE
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(job_dir),
        **arguments["Environment"],
        # What SageMaker gives a job: the role's credentials (the emulator takes any) and its region.
        "AWS_ACCESS_KEY_ID": "job",
        "AWS_SECRET_ACCESS_KEY": "job",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": emulator,
        "SAGEMAKER_TELEMETRY_OPT_OUT": "true",
        "PYTHONPATH": str(workspace),
    }
    command = [sys.executable, "-c", ENTRY_POINT, str(job_dir / "failure"), *container_args]
    return subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def definition(stack, tmp_path_factory):
    """Built as run-pipeline builds it (CI's commit and image digests in its environment), uploaded to the emulator."""
    settings = stack["settings"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_SHA", GIT_SHA)
        patch.setattr(settings, "STEP_IMAGE_URI", f"{REGISTRY}/x-steps@{DIGEST}")
        patch.setattr(settings, "INFERENCE_IMAGE_URI", f"{REGISTRY}/x-serving@{DIGEST}")
        with pipeline_module.step_code_workdir():
            return json.loads(pipeline_module.get_pipeline().definition())


def test_the_steps_run_as_jobs_from_their_code_in_s3_and_record_their_lineage(stack, definition, tmp_path):
    settings = stack["settings"]
    execution = Execution(definition, {"GateThreshold": 0.5})
    for name in ("Preprocess", "Train", "Evaluate", "Register"):
        job_dir = tmp_path / name
        job_dir.mkdir()
        job = run_job(execution.steps[name], execution, job_dir, stack["emulator"])
        assert job.returncode == 0 and not (job_dir / "failure").exists(), f"{name} failed:\n{job.stderr[-3000:]}"
        assert f"pipelines imported from {job_dir / WORKSPACE}" in job.stderr  # the code came from S3

    client = MlflowClient(stack["mlflow"])
    experiment = client.get_experiment_by_name(settings.MLFLOW_EXPERIMENT_NAME)
    [run] = client.search_runs(
        [experiment.experiment_id], f"tags.`{settings.TAG_PIPELINE_EXECUTION_ARN}` = '{execution.arn}'"
    )
    assert run.data.tags[settings.TAG_GIT_SHA] == GIT_SHA
    assert run.data.tags["mlflow.source.git.commit"] == GIT_SHA
    assert run.data.tags[settings.TAG_STEP_IMAGE_URI].endswith(f"x-steps@{DIGEST}")
    assert run.data.tags[settings.TAG_INFERENCE_IMAGE_URI].endswith(f"x-serving@{DIGEST}")
    assert run.data.tags[settings.TAG_TRAINING_DATA_URI] == DATA_URI
    assert set(run.data.metrics) >= set(settings.KEY_METRICS)  # Evaluate logged to the run Train made

    sagemaker = boto3.client("sagemaker")
    pages = sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=settings.MODEL_PACKAGE_GROUP_NAME
    )
    described = (
        sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        for page in pages
        for summary in page["ModelPackageSummaryList"]
    )
    [package] = [
        p for p in described if p.get("CustomerMetadataProperties", {}).get(settings.META_RUN_ID) == run.info.run_id
    ]
    metadata = package["CustomerMetadataProperties"]
    assert metadata[settings.TAG_PIPELINE_EXECUTION_ARN] == execution.arn
    assert metadata[settings.TAG_GIT_SHA] == GIT_SHA
    assert metadata[settings.TAG_STEP_IMAGE_URI] == run.data.tags[settings.TAG_STEP_IMAGE_URI]
    assert metadata[settings.TAG_TRAINING_DATA_URI] == DATA_URI
    # The package serves the image CI pinned, and SageMaker's registry shows the evaluation it passed.
    assert package["InferenceSpecification"]["Containers"][0]["Image"].endswith(f"x-serving@{DIGEST}")
    statistics = package["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["ContentType"] == "application/json"
    bucket, key = statistics["S3Uri"].removeprefix("s3://").split("/", 1)
    report = json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    accuracy = report["binary_classification_metrics"]["accuracy"]["value"]
    assert accuracy == pytest.approx(run.data.metrics["accuracy"]) and accuracy > 0.9


def test_a_failing_step_job_exits_non_zero_with_its_reason_in_the_failure_file(stack, definition, tmp_path):
    execution = Execution(definition, {"TestSize": 1.5})  # not a fraction of the data: the split refuses it

    job = run_job(execution.steps["Preprocess"], execution, tmp_path, stack["emulator"])

    assert job.returncode != 0
    assert "test_size" in (tmp_path / "failure").read_text()


def test_the_pipeline_is_refused_on_a_python_the_steps_image_does_not_run(monkeypatch):
    monkeypatch.setattr(pipeline_module, "STEP_PYTHON_VERSION", "2.7")
    with pytest.raises(RuntimeError, match=r"Python 2\.7"), pipeline_module.step_code_workdir():
        pass


def test_ci_the_jobs_and_the_images_run_one_python():
    """The SDK refuses a job whose Python differs from the client's: CI, the image and the guard must agree."""
    root = Path(__file__).resolve().parents[1]
    version = (root / ".python-version").read_text().strip()
    assert pipeline_module.STEP_PYTHON_VERSION == version
    assert f"ARG PYTHON_VERSION={version}\n" in (root / "Dockerfile").read_text()
    buildspec, workflow = root / "codebuild-buildspec.yml", root / ".github" / "workflows" / "model-build.yml"
    if buildspec.exists():
        assert f"python: {version}\n" in buildspec.read_text()
    if workflow.exists():
        assert "python-version-file: .python-version" in workflow.read_text()
    pins = dict(
        line.split("==")
        for line in (root / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert {"sagemaker", "cloudpickle", "mlflow", "scikit-learn", "pandas", "boto3"} <= set(pins)

"""The SageMaker pipeline: preprocess -> train -> evaluate -> gate on the metric -> register, else fail.

Each step is one of this package's plain functions run as a SageMaker @step (SageMaker Python SDK v3), so the
local runner and the tests run exactly the code the pipeline runs.
"""

import contextlib
import shutil
import sys
import tempfile
from pathlib import Path

from sagemaker.core.helper.session_helper import Session
from sagemaker.core.shapes.shapes import MlflowConfig
from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.parameters import ParameterFloat, ParameterInteger
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.function_step import step
from sagemaker.mlops.workflow.pipeline import Pipeline

from . import lineage, settings
from .evaluate import evaluate
from .preprocess import preprocess
from .register import register
from .train import train

# Each step's job gets the project's code with it: the SDK packages the working directory's Python files when it
# builds the definition and uploads them with the steps, so a job runs the code the pipeline was built from and the
# steps' image (Dockerfile, built by CI per commit) only needs requirements.txt. Build it inside step_code_workdir().
STEP_CODE_CONFIG = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"RemoteFunction": {"IncludeLocalWorkDir": True}}}},
}


# The Python of the steps' image (.python-version, which CI and the Dockerfile read). The SDK records the client's
# version in each step and the job refuses to run on another, so a definition built on another Python would fail
# in every job: it is refused here, before anything is uploaded.
STEP_PYTHON_VERSION = "3.11"


@contextlib.contextmanager
def step_code_workdir():
    """A working directory holding only this project's `pipelines` package, wherever it is installed from."""
    client = f"{sys.version_info.major}.{sys.version_info.minor}"
    if client != STEP_PYTHON_VERSION:
        raise RuntimeError(
            f"The steps' image runs Python {STEP_PYTHON_VERSION} (.python-version) and SageMaker refuses a step built "
            f"on another: build the pipeline with Python {STEP_PYTHON_VERSION}, not {client}, or change both."
        )
    package = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="step-code-") as workdir:
        shutil.copytree(package, Path(workdir, package.name), ignore=shutil.ignore_patterns("__pycache__"))
        with contextlib.chdir(workdir):
            yield


def _step_environment() -> dict[str, str]:
    names = (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_EXPERIMENT_NAME",
        "MLFLOW_REGISTERED_MODEL_NAME",
        "ARTIFACT_BUCKET",
        "MODEL_PACKAGE_GROUP_NAME",
        "GATE_METRIC",
        "GATE_THRESHOLD",
    )
    # With what CI knows (commit, images by digest): Train records it as the run's and the package's lineage.
    return {**{name: str(getattr(settings, name)) for name in names}, **lineage.ci_environment()}


def get_pipeline(session: Session | None = None, role_arn: str = settings.PIPELINE_ROLE_ARN) -> Pipeline:
    test_size = ParameterFloat(name="TestSize", default_value=0.25)
    regularization = ParameterFloat(name="RegularizationC", default_value=1.0)
    max_iter = ParameterInteger(name="MaxIter", default_value=1000)
    gate_threshold = ParameterFloat(name="GateThreshold", default_value=settings.GATE_THRESHOLD)

    def as_step(function, name: str):
        return step(
            function,
            name=name,
            role=role_arn,
            image_uri=settings.STEP_IMAGE_URI,
            instance_type=settings.STEP_INSTANCE_TYPE,
            environment_variables=_step_environment(),
            keep_alive_period_in_seconds=0,
        )

    splits = as_step(preprocess, "Preprocess")(test_size=test_size)
    trained = as_step(train, "Train")(
        splits,
        regularization=regularization,
        max_iter=max_iter,
        execution_arn=ExecutionVariables.PIPELINE_EXECUTION_ARN,
    )
    metrics = as_step(evaluate, "Evaluate")(splits, trained)
    registered = as_step(register, "Register")(trained, metrics, gate_threshold=gate_threshold)
    gate = ConditionStep(
        name="MetricGate",
        conditions=[ConditionGreaterThanOrEqualTo(left=metrics[settings.GATE_METRIC], right=gate_threshold)],
        if_steps=[registered],
        else_steps=[FailStep(name="BelowGate", error_message=f"{settings.GATE_METRIC} is below the registration gate")],
    )
    managed_mlflow = settings.MLFLOW_TRACKING_URI.startswith("arn:aws:sagemaker:")
    return Pipeline(
        name=settings.PIPELINE_NAME,
        parameters=[test_size, regularization, max_iter, gate_threshold],
        steps=[gate],
        mlflow_config=MlflowConfig(
            mlflow_resource_arn=settings.MLFLOW_TRACKING_URI, mlflow_experiment_name=settings.MLFLOW_EXPERIMENT_NAME
        )
        if managed_mlflow
        else None,
        # The artifact bucket holds the steps' code and results (an explicit bucket: no account lookup).
        sagemaker_session=session
        or Session(default_bucket=settings.ARTIFACT_BUCKET, sagemaker_config=STEP_CODE_CONFIG),
    )

"""Registers on moto's SageMaker backend what SageMaker Pipelines does and moto does not: executions that run.

moto (5.2) answers StartPipelineExecution with an execution that is Succeeded at once, started by a fake Studio
user, and has no ListPipelineExecutionSteps or StopPipelineExecution. Here, without forking moto:
- StartPipelineExecution starts an `ExecutionRun` (pipeline_runner.py) and names the caller (its access key's
  IAM user or role, else the key itself) as CreatedBy;
- ListPipelineExecutionSteps and StopPipelineExecution are added to moto's SageMaker responses (moto dispatches
  an action to the response method of the same name, in snake case), paginated with NextToken/MaxResults;
- DescribePipelineExecution and ListPipelineExecutions report the execution's failure reason (moto: "" / "None");
  ListPipelineParametersForExecution lists the defaults of the parameters not given (moto: only those given).
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

import boto3
from moto.sagemaker import models, responses
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.utils import get_pipeline_execution_from_arn
from moto.sts.models import sts_backends

import pipeline_runner
from pipeline_runner import ExecutionRun, StepRecord

# Every run of this server's lifetime, by execution ARN.
RUNS: dict[str, ExecutionRun] = {}
MAX_STEPS_PER_PAGE = 100


def install(emulator_url: str, log_dir: Path | None = None, max_parallel_jobs: int = 2) -> None:
    pipeline_runner.JOB_SLOTS = threading.BoundedSemaphore(max_parallel_jobs)
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="sagemaker-emulator-jobs-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    Response = responses.SageMakerResponse
    Backend = models.SageMakerModelBackend
    original_start = Response.start_pipeline_execution
    original_describe = Backend.describe_pipeline_execution
    original_list = Backend.list_pipeline_executions

    def s3_client() -> Any:
        # The steps' results live in this server's S3; read them the way a job would, over the wire.
        return boto3.client(
            "s3",
            endpoint_url=emulator_url,
            region_name="us-east-1",
            aws_access_key_id="sagemaker-emulator",
            aws_secret_access_key="sagemaker-emulator",
        )

    def start_pipeline_execution(self: responses.SageMakerResponse) -> Any:
        result = original_start(self)
        arn = _arn_of(result)
        execution = get_pipeline_execution_from_arn(self.sagemaker_backend.pipelines, arn)
        caller = _caller(self)
        execution.created_by = execution.last_modified_by = {"IamIdentity": caller}
        execution.pipeline_execution_status = "Executing"
        definition = json.loads(execution.pipeline_definition_for_execution or "{}")
        # As SageMaker lists an execution's parameters: every one of the definition, a default where none was given.
        given = execution.pipeline_parameters or []
        named = {p["Name"] for p in given}
        execution.pipeline_parameters = given + [
            {"Name": p["Name"], "Value": _text(p["DefaultValue"])}
            for p in definition.get("Parameters", [])
            if p["Name"] not in named and "DefaultValue" in p
        ]
        run = ExecutionRun(execution, definition, emulator_url, s3_client, log_dir)
        RUNS[arn] = run
        run.start()
        return result

    def list_pipeline_execution_steps(self: responses.SageMakerResponse) -> Any:
        arn = self._get_param("PipelineExecutionArn")
        get_pipeline_execution_from_arn(self.sagemaker_backend.pipelines, arn)  # ValidationError when unknown
        run = RUNS.get(arn)
        steps: list[StepRecord] = list(run.steps) if run else []
        # Newest first, as SageMaker sorts by default.
        if self._get_param("SortOrder", "Descending") == "Descending":
            steps.reverse()
        page_size = min(int(self._get_param("MaxResults") or MAX_STEPS_PER_PAGE), MAX_STEPS_PER_PAGE)
        start = _offset(self._get_param("NextToken"))
        page = steps[start : start + page_size]
        answer: dict[str, Any] = {"PipelineExecutionSteps": [s.to_api() for s in page]}
        if start + page_size < len(steps):
            answer["NextToken"] = str(start + page_size)
        return responses.ActionResult(answer)

    def stop_pipeline_execution(self: responses.SageMakerResponse) -> Any:
        arn = self._get_param("PipelineExecutionArn")
        execution = get_pipeline_execution_from_arn(self.sagemaker_backend.pipelines, arn)
        run = RUNS.get(arn)
        if execution.pipeline_execution_status not in ("Executing", "Stopping") or run is None:
            raise ValidationError(
                f"Pipeline execution {arn} is {execution.pipeline_execution_status}: only an executing one can be stopped"
            )
        run.stop()
        return responses.ActionResult({"PipelineExecutionArn": arn})

    def describe_pipeline_execution(self: models.SageMakerModelBackend, pipeline_execution_arn: str) -> dict:
        described = original_describe(self, pipeline_execution_arn)
        execution = get_pipeline_execution_from_arn(self.pipelines, pipeline_execution_arn)
        described["FailureReason"] = execution.pipeline_execution_failure_reason or ""
        return described

    def list_pipeline_executions(self: models.SageMakerModelBackend, pipeline_name: str) -> dict:
        listed = original_list(self, pipeline_name)
        for summary in listed["PipelineExecutionSummaries"]:
            if summary.get("PipelineExecutionFailureReason") == "None":
                del summary["PipelineExecutionFailureReason"]
        return listed

    Response.start_pipeline_execution = start_pipeline_execution
    Response.list_pipeline_execution_steps = list_pipeline_execution_steps
    Response.stop_pipeline_execution = stop_pipeline_execution
    Backend.describe_pipeline_execution = describe_pipeline_execution
    Backend.list_pipeline_executions = list_pipeline_executions


def _arn_of(result: responses.ActionResult) -> str:
    return result.result["PipelineExecutionArn"]  # type: ignore[index]


def _caller(response: responses.SageMakerResponse) -> dict[str, str]:
    """The IAM identity of the request's access key, as STS's GetCallerIdentity would name it."""
    # moto's own parser knows only AKIA-style keys; SigV4 names any key as Credential=<key>/<date>/...
    signed = re.search(r"Credential=([^/,\s]+)/", response.headers.get("Authorization", ""))
    access_key = signed.group(1) if signed else response.get_access_key()
    account = response.get_current_account()
    region = response.region
    principal_id, arn, _ = sts_backends[account]["global"].get_caller_identity(access_key, region)
    if arn.endswith(":user/moto"):  # moto's stand-in for a key it does not know: name the key instead
        arn, principal_id = f"arn:aws:iam::{account}:user/{access_key}", access_key
    return {"Arn": arn, "PrincipalId": principal_id}


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _offset(token: str | None) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise ValidationError(f"NextToken {token!r} was not returned by this API")
    return int(token)

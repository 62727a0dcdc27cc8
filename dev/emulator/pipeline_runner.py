"""Runs one pipeline execution of the emulator: its steps in dependency order, each as SageMaker would.

- A function (`@step`) step runs the SageMaker Python SDK's own job entry point (`invoke_function`) in a child
  process (job_container.py), as the training job's container would: the step's workspace (the project's code, uploaded by the SDK
  when the pipeline sets `include_local_workdir`) is unpacked into a job directory, the step's environment is
  set, and the function's arguments and results go through the emulator's S3. The container image is not pulled:
  the child runs in the emulator's Python, which has the project's dependencies.
- A Condition step evaluates its conditions and runs one branch; a Fail step fails the execution.
- Any other step type needs a container the emulator cannot start: it fails with a reason that says so.
Steps run one at a time (the machines this runs on have two cores); an execution is Stopped by StopPipelineExecution.
"""

from __future__ import annotations

import io
import os
import secrets
import tempfile
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from expressions import ExpressionError, Scope, evaluate, holds, referenced_steps
from job_container import start_job, wait_job

BOOTSTRAP_CHANNEL = "sagemaker_remote_function_bootstrap"
WORKSPACE_DIR = "sagemaker_remote_function_workspace"
STEP_FAILURE = "Step failure: One or multiple steps failed."


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class StepRecord:
    """One started step, as ListPipelineExecutionSteps reports it."""

    name: str
    type: str
    display_name: str | None
    description: str | None
    start_time: datetime = field(default_factory=now)
    end_time: datetime | None = None
    status: str = "Starting"
    failure_reason: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_api(self) -> dict[str, Any]:
        shape = {
            "StepName": self.name,
            "StepDisplayName": self.display_name,
            "StepDescription": self.description,
            "StartTime": self.start_time,
            "EndTime": self.end_time,
            "StepStatus": self.status,
            "FailureReason": self.failure_reason,
            "Metadata": self.metadata,
            "AttemptCount": 1,
        }
        return {k: v for k, v in shape.items() if v is not None}


class ExecutionRun(threading.Thread):
    """Runs one execution; `execution` is moto's FakePipelineExecution, updated as the steps finish."""

    def __init__(
        self,
        execution: Any,
        definition: dict,
        emulator_url: str,
        s3_client: Callable[[], Any],
        log_dir: Path,
    ):
        super().__init__(name=f"pipeline-execution-{execution.arn.rsplit('/', 1)[-1]}", daemon=True)
        self.execution = execution
        self.definition = definition
        self.emulator_url = emulator_url
        self.s3_client = s3_client
        self.log_dir = log_dir
        self.steps: list[StepRecord] = []
        self._stop_requested = threading.Event()
        self._process: Any = None  # the running job (a multiprocessing.Process)
        arn = execution.arn
        _, _, _, self.region, self.account, resource = arn.split(":", 5)
        self.execution_id = resource.rsplit("/", 1)[-1]
        self.scope = Scope(
            parameters=self._parameters(),
            execution={
                "PipelineExecutionId": self.execution_id,
                "PipelineExecutionArn": arn,
                "PipelineName": resource.split("/")[1],
                "PipelineExecutionStartTime": execution.start_time.isoformat(),
                "CurrentDateTime": execution.start_time.isoformat(),
            },
            read_s3=self._read_s3,
        )

    # --- what the API sees -------------------------------------------------------------------------------------
    def stop(self) -> None:
        """StopPipelineExecution: the running step's process is stopped, no further step starts."""
        self._stop_requested.set()
        self._set_status("Stopping")
        process = self._process
        if process is not None:  # a job that has ended is simply not found
            _kill_group(process)

    # --- the run -----------------------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            failure = self._run_steps(list(self.definition.get("Steps", [])))
        except Exception as error:  # noqa: BLE001 - the emulator's own fault: the execution fails with it, the server lives on
            failure = f"Emulator error: {error!r}"
        if self._stop_requested.is_set():
            self._set_status("Stopped")
        elif failure:
            self.execution.pipeline_execution_failure_reason = failure
            self._set_status("Failed")
        else:
            self._set_status("Succeeded")

    def _run_steps(self, pending: list[dict]) -> str | None:
        known = _all_step_names(pending)
        succeeded: set[str] = set()
        while pending and not self._stop_requested.is_set():
            ready = next((s for s in pending if _dependencies(s, known) <= succeeded), None)
            if ready is None:
                return None  # what is left waits on steps of a branch not taken: AWS does not run it either
            pending.remove(ready)
            record = StepRecord(
                name=ready["Name"],
                type=ready["Type"],
                display_name=ready.get("DisplayName"),
                description=ready.get("Description"),
            )
            self.steps.append(record)
            branch = self._run_step(ready, record)
            record.end_time = now()
            if record.status != "Succeeded":
                return record.failure_reason if ready["Type"] == "Fail" else STEP_FAILURE
            succeeded.add(record.name)
            pending.extend(branch)
        return None

    def _run_step(self, step: dict, record: StepRecord) -> list[dict]:
        """Runs one step, leaving its outcome on record; returns the steps of a condition's branch to run next."""
        record.status = "Executing"
        try:
            if step["Type"] == "Condition":
                return self._condition(step, record)
            if step["Type"] == "Fail":
                message = evaluate(step.get("Arguments", {}).get("ErrorMessage", ""), self.scope)
                record.metadata = {"Fail": {"ErrorMessage": message}}
                record.status, record.failure_reason = "Failed", message
                return []
            if step["Type"] == "Training" and _is_function_step(step):
                self._function_step(step, record)
                return []
            record.status = "Failed"
            record.failure_reason = (
                f"The local emulator runs @step functions, Condition and Fail steps; a {step['Type']} step needs "
                "a container it cannot start."
            )
        except ExpressionError as error:
            record.status, record.failure_reason = "Failed", str(error)
        return []

    def _condition(self, step: dict, record: StepRecord) -> list[dict]:
        arguments = step.get("Arguments", {})
        outcome = all(holds(c, self.scope) for c in arguments.get("Conditions", []))
        record.metadata = {"Condition": {"Outcome": "True" if outcome else "False"}}
        record.status = "Succeeded"
        self.scope.step_properties[record.name] = {"Outcome": outcome}
        return list(arguments.get("IfSteps" if outcome else "ElseSteps", []))

    def _function_step(self, step: dict, record: StepRecord) -> None:
        arguments = evaluate(step.get("Arguments", {}), self.scope)
        job_name = f"pipelines-{self.execution_id}-{record.name}-{secrets.token_hex(4)}"[:63]
        job_arn = f"arn:aws:sagemaker:{self.region}:{self.account}:training-job/{job_name.lower()}"
        record.metadata = {"TrainingJob": {"Arn": job_arn}}
        container_args = [str(a) for a in arguments["AlgorithmSpecification"]["ContainerArguments"]]
        job_dir = Path(tempfile.mkdtemp(prefix=f"{job_name}-", dir=self.log_dir))
        workspace = self._unpack_workspace(arguments, container_args, job_dir)
        # A job sees what a container would: the step's environment, not the developer's (tokens, other secrets).
        inherited = {k: v for k, v in os.environ.items() if k in JOB_ENVIRONMENT}
        env = {
            **inherited,
            **{k: str(v) for k, v in arguments.get("Environment", {}).items()},
            "AWS_ENDPOINT_URL": self.emulator_url,
            # The job's credentials: on AWS the pipeline role's; the emulator takes any key.
            "AWS_ACCESS_KEY_ID": "sagemaker-emulator-job",
            "AWS_SECRET_ACCESS_KEY": "sagemaker-emulator-job",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "TRAINING_JOB_NAME": job_name,
            "TRAINING_JOB_ARN": job_arn,
            "PYTHONPATH": str(workspace),
            "SAGEMAKER_EMULATOR_JOB_DIR": str(job_dir),
        }
        record.status = "Starting"  # until a job slot is free, as a job waits for an instance
        while not JOB_SLOTS.acquire(timeout=0.5):
            if self._stop_requested.is_set():
                record.status = "Stopped"
                return
        record.status = "Executing"
        try:
            exit_code = self._run_job(container_args, workspace, env, job_dir)
        finally:
            JOB_SLOTS.release()
        failure = job_dir / "output" / "failure"
        if self._stop_requested.is_set():
            record.status = "Stopped"
        # The SDK's entry point can exit 0 after a failure it could not upload: its failure file is what counts.
        elif exit_code == 0 and not failure.exists():
            record.status = "Succeeded"
            output = arguments.get("OutputDataConfig", {}).get("S3OutputPath", "")
            self.scope.step_properties[record.name] = {
                **arguments,
                "TrainingJobName": job_name,
                "TrainingJobArn": job_arn,
                "TrainingJobStatus": "Completed",
                "ModelArtifacts": {"S3ModelArtifacts": f"{output}/{job_name}/output/model.tar.gz"},
            }
        else:
            reason = (
                failure.read_text().strip()
                if failure.exists()
                else f"the job exited with {exit_code}; its log ends: {_last_line(job_dir / 'job.log')}"
            )
            record.status, record.failure_reason = "Failed", f"AlgorithmError: {reason}"[:1024]

    def _run_job(self, container_args: list[str], workspace: Path, env: dict, job_dir: Path) -> int:
        self._process = start_job(container_args, str(workspace), env, str(job_dir))
        RUNNING_JOBS.add(self._process)
        if self._stop_requested.is_set():  # a stop that came while the job was starting found nothing to kill
            _kill_group(self._process)
        try:
            return wait_job(self._process)
        finally:
            RUNNING_JOBS.discard(self._process)
            self._process = None  # its pid may be reused: a later stop must not signal it

    def _unpack_workspace(self, arguments: dict, container_args: list[str], job_dir: Path) -> Path:
        """The step's workspace channel (named after its build time) unpacked as the SDK's bootstrap does."""
        channel = _argument(container_args, "--func_step_s3_dir")
        for source in arguments.get("InputDataConfig", []):
            if source.get("ChannelName") == channel:
                files = self._download_prefix(source["DataSource"]["S3DataSource"]["S3Uri"])
                if "workspace.zip" in files:
                    with zipfile.ZipFile(io.BytesIO(files["workspace.zip"])) as archive:
                        archive.extractall(job_dir)
        workspace = job_dir / WORKSPACE_DIR
        workspace.mkdir(exist_ok=True)
        return workspace

    def _download_prefix(self, uri: str) -> dict[str, bytes]:
        """An S3Prefix channel's files by their path under the prefix (a prefix that is one key: its file name)."""
        parsed = urlparse(uri)
        prefix = parsed.path.lstrip("/")
        s3 = self.s3_client()
        listed = s3.list_objects_v2(Bucket=parsed.netloc, Prefix=prefix).get("Contents", [])
        return {
            (o["Key"][len(prefix) :].lstrip("/") or o["Key"].rsplit("/", 1)[-1]): self._read_s3(
                f"s3://{parsed.netloc}/{o['Key']}"
            )
            for o in listed
        }

    def _parameters(self) -> dict[str, Any]:
        given = {p["Name"]: p["Value"] for p in self.execution.pipeline_parameters or []}
        typed: dict[str, Any] = {}
        for parameter in self.definition.get("Parameters", []):
            value = given.get(parameter["Name"], parameter.get("DefaultValue"))
            kind = parameter.get("Type", "String")
            if value is not None and kind == "Float":
                value = float(value)
            elif value is not None and kind == "Integer":
                value = int(float(value))
            elif value is not None and kind == "Boolean":
                value = str(value).lower() == "true"
            typed[parameter["Name"]] = value
        return typed

    def _read_s3(self, uri: str) -> bytes:
        parsed = urlparse(uri)
        try:
            return self.s3_client().get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"].read()
        except Exception as error:  # noqa: BLE001 - a missing object is the step's failure, not the emulator's
            raise ExpressionError(f"Cannot read {uri}: {error}") from None

    def _set_status(self, status: str) -> None:
        self.execution.pipeline_execution_status = status
        self.execution.last_modified_time = now()


# What a job inherits from the emulator's environment: where Python, certificates and temp files are.
JOB_ENVIRONMENT = {
    *("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"),
    *("NO_PROXY", "no_proxy", "SAGEMAKER_TELEMETRY_OPT_OUT"),
}
# Jobs that run at once across executions (set by install): the rest wait in Starting, as for an instance.
JOB_SLOTS = threading.BoundedSemaphore(2)
# Every job process the emulator started, stopped with it (each runs in its own process group).
RUNNING_JOBS: set[Any] = set()


def stop_all_jobs() -> None:
    for process in list(RUNNING_JOBS):
        _kill_group(process)


def _kill_group(process: Any) -> None:
    for signal in (15, 9):
        try:
            os.killpg(process.pid, signal)
        except ProcessLookupError:  # not yet in its own group, or gone
            process.terminate()
        if wait_job(process, timeout=10) is not None:
            return


def _is_function_step(step: dict) -> bool:
    channels = step.get("Arguments", {}).get("InputDataConfig", [])
    return any(c.get("ChannelName") == BOOTSTRAP_CHANNEL for c in channels)


def _all_step_names(steps: list[dict]) -> set[str]:
    names: set[str] = set()
    for step in steps:
        names.add(step["Name"])
        if step["Type"] == "Condition":
            arguments = step.get("Arguments", {})
            names |= _all_step_names(arguments.get("IfSteps", []) + arguments.get("ElseSteps", []))
    return names


def _dependencies(step: dict, known: set[str]) -> set[str]:
    """DependsOn and every step a property reference of its arguments reads (branches excluded: they wait)."""
    arguments = step.get("Arguments", {})
    if step["Type"] == "Condition":
        arguments = {k: v for k, v in arguments.items() if k not in ("IfSteps", "ElseSteps")}
    return (set(step.get("DependsOn", [])) | referenced_steps(arguments)) & known - {step["Name"]}


def _argument(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "the step's process failed without output"

"""Upserts the SageMaker pipeline and starts an execution (what CI runs after the tests pass).

    python -m pipelines.run_pipeline [--parameters '{"RegularizationC": 0.1}'] [--display-name NAME] [--no-start]
                                     [--wait]

Prints one JSON line with the pipeline ARN and the started execution's ARN (with --wait: and how it ended; the
exit status is 1 when it did not succeed, and each failed step's reason is printed).
"""

import argparse
import json
import sys
import time

import botocore.exceptions

from .${{ values.packageName }} import settings
from .${{ values.packageName }}.binding import BindingError, bind, binding_tag, check_binding
from .${{ values.packageName }}.pipeline import get_pipeline, step_code_workdir


def run_pipeline(
    parameters: dict | None = None, *, start: bool = True, description: str = "", display_name: str | None = None
) -> dict:
    pipeline = get_pipeline()
    sagemaker = pipeline.sagemaker_session.sagemaker_client
    existing_arn = _existing_pipeline_arn(sagemaker)
    if existing_arn:
        check_binding(sagemaker, existing_arn)  # before changing it: another project's pipeline is refused
    with step_code_workdir():
        upserted = pipeline.upsert(
            role_arn=settings.PIPELINE_ROLE_ARN,
            description=description or f"Model build pipeline of {settings.MODEL_NAME}",
            # A new pipeline is created bound. On an update the SDK would AddTags every tag again; bind() below adds
            # the binding only when it is missing (a pipeline created before the binding existed).
            tags=None if existing_arn else [binding_tag()],
        )
    bind(sagemaker, upserted["PipelineArn"])
    result = {"pipeline_arn": upserted["PipelineArn"], "execution_arn": None}
    if start:
        execution = pipeline.start(parameters=parameters or {}, execution_display_name=display_name)
        result["execution_arn"] = execution.arn
    return result


def wait_for(sagemaker, execution_arn: str, poll_seconds: float = 15, timeout_seconds: float = 6 * 3600) -> dict:
    """Waits until the execution ends; returns its status and the reason of each step that failed."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        status = sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_arn)["PipelineExecutionStatus"]
        if status in ("Succeeded", "Failed", "Stopped"):
            break
        if time.monotonic() > deadline:
            return {"status": status, "failed_steps": [], "timed_out": True}
        time.sleep(poll_seconds)
    paginator = sagemaker.get_paginator("list_pipeline_execution_steps")
    failed = [
        {"step": step["StepName"], "reason": step.get("FailureReason", "")}
        for page in paginator.paginate(PipelineExecutionArn=execution_arn)
        for step in page["PipelineExecutionSteps"]
        if step["StepStatus"] == "Failed"
    ]
    return {"status": status, "failed_steps": failed}


def _existing_pipeline_arn(sagemaker) -> str | None:
    try:
        return sagemaker.describe_pipeline(PipelineName=settings.PIPELINE_NAME)["PipelineArn"]
    except botocore.exceptions.ClientError as error:
        # SageMaker answers ResourceNotFound; the emulator a ValidationException "Could not find pipeline".
        details = error.response["Error"]
        if details["Code"] == "ResourceNotFound" or "Could not find" in details.get("Message", ""):
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parameters", type=json.loads, default={}, help="pipeline parameters as a JSON object")
    parser.add_argument("--description", default="")
    parser.add_argument("--display-name", help="display name of the started execution")
    parser.add_argument("--no-start", action="store_true", help="only create or update the pipeline")
    parser.add_argument("--wait", action="store_true", help="wait for the execution; fail unless it succeeds")
    args = parser.parse_args(argv)
    try:
        result = run_pipeline(
            args.parameters, start=not args.no_start, description=args.description, display_name=args.display_name
        )
    except BindingError as error:
        print(f"run-pipeline: {error}", file=sys.stderr)
        return 2
    if args.wait and result["execution_arn"]:
        sagemaker = get_pipeline().sagemaker_session.sagemaker_client
        result.update(wait_for(sagemaker, result["execution_arn"]))
        for failed in result["failed_steps"]:
            print(f"run-pipeline: step {failed['step']} failed: {failed['reason']}", file=sys.stderr)
    print(json.dumps(result))
    return 0 if result.get("status", "Succeeded") == "Succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())

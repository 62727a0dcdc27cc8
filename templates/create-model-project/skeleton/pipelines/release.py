"""One release step, as CI runs it when a model package is approved (see infra/release-trigger.yaml).

    python -m pipelines.release --stage staging --model-package-arn ARN [--min-accuracy 0.9]
    python -m pipelines.release --stage production --model-package-arn ARN

staging: deploys the package to the staging endpoint and runs validate-endpoint there; when validation passes the
endpoint records it (tag model-factory.validated_package); when it fails, or cannot run, the endpoint is rolled
back to what it served before and the exit status is 1. production (after the manual approval): promotes the
package the approver names, only if staging really serves it (its endpoint config's model, not its tags), recorded
it validated, and validate-endpoint passes on staging again now. Prints one JSON line per step; exit status 2 when
a deployment is refused or fails.
"""

import argparse
import json
import sys

from .${{ values.packageName }}.binding import BindingError
from .deploy import DeploymentError, check_staging_serves, deploy, mark_validated, package_version, rollback
from .stages import STAGES, stage
from .validate_endpoint import validate_endpoint


def release(stage_name: str, model_package_arn: str | None, min_accuracy: float = 0.9, poll_seconds: float = 30):
    """Returns (exit status, the steps' results)."""
    if not model_package_arn:
        raise DeploymentError(f"--model-package-arn is required for {stage_name}: the approved package to release")
    if stage_name == "production":
        # The staging role writes staging's tags: production checks what staging really serves and validates it
        # there again, with the version the package names, before it changes anything.
        check_staging_serves(model_package_arn)
        validation = _validate(min_accuracy, package_version(model_package_arn))
        if not validation["passed"]:
            return 1, [validation]
        promoted = deploy(stage_name="production", model_package_arn=model_package_arn, poll_seconds=poll_seconds)
        return 0, [validation, promoted]
    deployed = deploy(stage_name="staging", model_package_arn=model_package_arn, poll_seconds=poll_seconds)
    validation = _validate(min_accuracy, deployed["version"])
    steps = [deployed, validation]
    if validation["passed"]:
        mark_validated(model_package_arn)
        return 0, steps
    if deployed["previous_endpoint_config"]:
        steps.append(rollback("staging", poll_seconds=poll_seconds))
    return 1, steps


def _validate(min_accuracy: float, version: str) -> dict:
    try:
        return validate_endpoint(stage("staging").endpoint_name, min_accuracy, version=version)
    # Any failure to validate (an unusable answer, a model error, a missing sample) is a failed validation: the
    # package must not stay on staging marked as if it had passed, nor reach production.
    except (SystemExit, Exception) as error:  # noqa: BLE001
        return {"passed": False, "error": f"{type(error).__name__}: {error}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", choices=STAGES, required=True)
    parser.add_argument(
        "--model-package-arn", help="the approved package: the approval event's ModelPackageArn, or the one promoted"
    )
    parser.add_argument("--min-accuracy", type=float, default=0.9)
    args = parser.parse_args(argv)
    try:
        status, steps = release(args.stage, args.model_package_arn or None, args.min_accuracy)
    except (DeploymentError, BindingError) as error:
        print(f"release: {error}", file=sys.stderr)
        return 2
    for step in steps:
        print(json.dumps(step))
    return status


if __name__ == "__main__":
    sys.exit(main())

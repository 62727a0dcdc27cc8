"""Upserts the SageMaker pipeline and starts an execution (what CI runs after the tests pass).

    python -m pipelines.run_pipeline [--parameters '{"RegularizationC": 0.1}'] [--display-name NAME] [--no-start]

Prints one JSON line with the pipeline ARN and the started execution's ARN.
"""

import argparse
import json
import sys

from .${{ values.packageName }} import settings
from .${{ values.packageName }}.pipeline import get_pipeline


def run_pipeline(
    parameters: dict | None = None, *, start: bool = True, description: str = "", display_name: str | None = None
) -> dict:
    pipeline = get_pipeline()
    upserted = pipeline.upsert(
        role_arn=settings.PIPELINE_ROLE_ARN,
        description=description or f"Model build pipeline of {settings.MODEL_NAME}",
        tags=[{"Key": "model-factory:component", "Value": settings.MODEL_NAME}],
    )
    result = {"pipeline_arn": upserted["PipelineArn"], "execution_arn": None}
    if start:
        execution = pipeline.start(parameters=parameters or {}, execution_display_name=display_name)
        result["execution_arn"] = execution.arn
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parameters", type=json.loads, default={}, help="pipeline parameters as a JSON object")
    parser.add_argument("--description", default="")
    parser.add_argument("--display-name", help="display name of the started execution")
    parser.add_argument("--no-start", action="store_true", help="only create or update the pipeline")
    args = parser.parse_args(argv)
    result = run_pipeline(
        args.parameters, start=not args.no_start, description=args.description, display_name=args.display_name
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

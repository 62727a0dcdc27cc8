"""Puts a stage's endpoint back on the endpoint config it served before its last release.

    python -m pipelines.rollback [--stage staging|production] [--endpoint-name NAME]

The endpoint is updated all at once (the stage's alarms still watch it) and, once InService on that config, tagged
with the version it serves again. Rolling back twice rolls forward: the config rolled back from becomes the earlier one.
"""

import argparse
import json
import sys

from .${{ values.packageName }}.binding import BindingError
from .deploy import DeploymentError, rollback
from .stages import STAGES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", choices=STAGES, default="staging")
    parser.add_argument("--endpoint-name", help="default: the stage's endpoint (pipelines/stages.py)")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(rollback(args.stage, args.endpoint_name)))
    except (DeploymentError, BindingError) as error:
        print(f"rollback: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

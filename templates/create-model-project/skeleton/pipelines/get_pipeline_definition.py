"""Prints the pipeline definition JSON (or writes it to a file) without creating anything in SageMaker.

python -m pipelines.get_pipeline_definition [--file-name pipeline.json]
"""

import argparse
import json
import sys

from .${{ values.packageName }}.pipeline import get_pipeline, step_code_workdir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file-name", help="write the definition here instead of printing it")
    args = parser.parse_args(argv)
    with step_code_workdir():
        definition = json.dumps(json.loads(get_pipeline().definition()), indent=2)
    if args.file_name:
        with open(args.file_name, "w") as out:
            out.write(definition)
    else:
        print(definition)
    return 0


if __name__ == "__main__":
    sys.exit(main())

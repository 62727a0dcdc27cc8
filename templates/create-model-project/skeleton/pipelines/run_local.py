"""Runs every step of the pipeline in this process against any MLflow (and, for registration, any SageMaker).

    python -m pipelines.run_local --regularization 0.1 [--execution-arn ARN] [--no-register]

Prints one JSON line: the run, its metrics, whether it passed the gate and what was registered.
"""

import argparse
import json
import sys

from .${{ values.packageName }} import evaluate as evaluate_step
from .${{ values.packageName }} import register as register_step
from .${{ values.packageName }} import settings
from .${{ values.packageName }}.preprocess import preprocess
from .${{ values.packageName }}.train import train


def run_local(
    *,
    regularization: float = 1.0,
    max_iter: int = 1000,
    test_size: float = 0.25,
    gate_threshold: float = settings.GATE_THRESHOLD,
    execution_arn: str = "",
    register: bool = True,
) -> dict:
    splits = preprocess(test_size=test_size)
    trained = train(splits, regularization=regularization, max_iter=max_iter, execution_arn=execution_arn)
    metrics = evaluate_step.evaluate(splits, trained)
    passed = evaluate_step.passes_gate(metrics, settings.GATE_METRIC, gate_threshold)
    result = {"run_id": trained.run_id, "metrics": metrics, "passed_gate": passed, "registered": None}
    if passed and register:
        registered = register_step.register(trained, metrics, gate_threshold)
        result["registered"] = {"version": registered.version, "model_package_arn": registered.model_package_arn}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regularization", type=float, default=1.0, help="inverse regularization strength C")
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--test-size", type=float, default=0.25)
    parser.add_argument("--gate-threshold", type=float, default=settings.GATE_THRESHOLD)
    parser.add_argument("--execution-arn", default="", help="tag the MLflow run with this pipeline execution")
    parser.add_argument("--no-register", action="store_true", help="stop after the gate")
    args = parser.parse_args(argv)
    result = run_local(
        regularization=args.regularization,
        max_iter=args.max_iter,
        test_size=args.test_size,
        gate_threshold=args.gate_threshold,
        execution_arn=args.execution_arn,
        register=not args.no_register,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Seeds the local stack with the demo model project: MLflow runs and versions, SageMaker objects, linked.

Usage: python dev/seed/seed.py --mlflow-url URL --sagemaker-endpoint URL
Re-runnable: MLflow is trained once per store; the emulator (in memory) is filled on every start and the
MLflow runs and versions are re-tagged with the new SageMaker identifiers.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import boto3
from mlflow import MlflowClient
import mlflow

sys.path.insert(0, os.path.dirname(__file__))
import seed_sagemaker  # noqa: E402
import train_demo_model  # noqa: E402

MODEL_NAME = "demo-model"
PIPELINE_NAME = "demo-model-pipeline"
ENDPOINT_NAME = "demo-model-staging"
GATE_METRIC, GATE_THRESHOLD = "accuracy", 0.93
REGION, ACCOUNT = "us-east-1", "123456789012"


def sagemaker_client(endpoint_url: str):
    return boto3.client(
        "sagemaker",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="model-factory-local",
        aws_secret_access_key="model-factory-local",
    )


def existing_versions(client: MlflowClient) -> list[dict]:
    found = client.search_model_versions(f"name = '{MODEL_NAME}'")
    return [
        {"version": v.version, "run_id": v.run_id, "metrics": client.get_run(v.run_id).data.metrics}
        for v in found
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mlflow-url", required=True)
    parser.add_argument("--sagemaker-endpoint", required=True)
    args = parser.parse_args()

    mlflow.set_tracking_uri(args.mlflow_url)
    client = MlflowClient(args.mlflow_url)
    sm = sagemaker_client(args.sagemaker_endpoint)

    execution_arns = seed_sagemaker.create_pipeline_with_executions(sm, PIPELINE_NAME, list(train_demo_model.REGULARIZATION_GRID))
    versions = existing_versions(client)
    if len(versions) < 2:
        versions = train_demo_model.train_and_register(
            client,
            MODEL_NAME,
            GATE_METRIC,
            GATE_THRESHOLD,
            [{"sagemaker.pipeline_execution_arn": arn} for arn in execution_arns],
        )
    else:
        # The emulator forgot the old executions: point the runs at this start's executions.
        runs = sorted(client.search_runs([client.get_experiment_by_name(MODEL_NAME).experiment_id]), key=lambda r: r.info.start_time)
        for run, arn in zip(runs, execution_arns):
            client.set_tag(run.info.run_id, "sagemaker.pipeline_execution_arn", arn)

    champion = client.get_model_version_by_alias(MODEL_NAME, "champion").version
    package_arns = seed_sagemaker.create_model_packages(
        sm, MODEL_NAME, versions, MODEL_NAME, champion
    )
    for version, arn in package_arns.items():
        client.set_model_version_tag(MODEL_NAME, version, "sagemaker.model_package_arn", arn)
    champion_version = next(v for v in versions if v["version"] == champion)
    endpoint_arn = seed_sagemaker.create_endpoint(sm, ENDPOINT_NAME, MODEL_NAME, champion_version, package_arns[champion])

    print(json.dumps({
        "registered_model": MODEL_NAME,
        "versions": [v["version"] for v in versions],
        "champion": champion,
        "pipeline_executions": len(execution_arns),
        "model_packages": list(package_arns.values()),
        "endpoint": endpoint_arn,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

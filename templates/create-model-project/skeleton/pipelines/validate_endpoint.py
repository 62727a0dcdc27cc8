"""Sends the logged validation sample of the deployed version to the endpoint and compares with the true labels.

    python -m pipelines.validate_endpoint [--endpoint-name NAME] [--min-accuracy 0.9]

Prints one JSON line (version, rows, accuracy) and exits 1 when the accuracy is below the minimum. The result is
recorded on the MLflow version as its validation.<endpoint> tag, where the portal's version timeline reads it.
"""

import argparse
import json
import sys
import time
import uuid
from datetime import datetime, timezone

import boto3
import mlflow
from mlflow import MlflowClient

from .${{ values.packageName }} import settings


def deployed_version(endpoint_name: str) -> str:
    sagemaker = boto3.client("sagemaker", region_name=settings.AWS_REGION)
    arn = sagemaker.describe_endpoint(EndpointName=endpoint_name)["EndpointArn"]
    tags = {tag["Key"]: tag["Value"] for tag in sagemaker.list_tags(ResourceArn=arn)["Tags"]}
    if settings.META_MODEL_VERSION not in tags:
        raise SystemExit(
            f"endpoint {endpoint_name} has no {settings.META_MODEL_VERSION} tag: deploy it with pipelines.deploy"
        )
    return tags[settings.META_MODEL_VERSION]


def predictions_of(body: bytes) -> list:
    """Reads the MLflow scoring protocol's response: {"predictions": [...]} or a bare list."""
    try:
        parsed = json.loads(body)
    except ValueError as error:
        raise SystemExit(f"the endpoint did not answer with JSON: {body[:200]!r}") from error
    return parsed["predictions"] if isinstance(parsed, dict) else parsed


def validate_endpoint(
    endpoint_name: str = settings.ENDPOINT_NAME, min_accuracy: float = 0.9, version: str | None = None
) -> dict:
    """With version, the sample of that MLflow version (a release knows it); else the one the endpoint's tag names."""
    version = version or deployed_version(endpoint_name)
    client = MlflowClient(settings.MLFLOW_TRACKING_URI)
    run_id = client.get_model_version(settings.MLFLOW_REGISTERED_MODEL_NAME, version).run_id
    mlflow.set_tracking_uri(settings.MLFLOW_TRACKING_URI)
    sample = mlflow.artifacts.load_dict(f"runs:/{run_id}/{settings.VALIDATION_SAMPLE_ARTIFACT}")
    started = time.perf_counter()
    response = boto3.client("sagemaker-runtime", region_name=settings.AWS_REGION).invoke_endpoint(
        EndpointName=endpoint_name,
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps({"dataframe_split": {"columns": sample["columns"], "data": sample["data"]}}),
        # Marks these requests in the endpoint's data capture, so monitoring can leave them out.
        InferenceId=f"validate-endpoint-{uuid.uuid4()}",
    )
    predicted = predictions_of(response["Body"].read())
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    if len(predicted) != len(sample["labels"]):
        raise SystemExit(f"the endpoint returned {len(predicted)} predictions for {len(sample['labels'])} rows")
    correct = sum(int(p) == int(label) for p, label in zip(predicted, sample["labels"], strict=True))
    accuracy = correct / len(sample["labels"])
    record = {
        "accuracy": accuracy,
        "rows": len(predicted),
        "latencyMs": latency_ms,
        "at": datetime.now(timezone.utc).isoformat(),
    }
    client.set_model_version_tag(
        settings.MLFLOW_REGISTERED_MODEL_NAME,
        version,
        f"{settings.TAG_VALIDATION_PREFIX}{endpoint_name}",
        json.dumps(record),
    )
    return {
        "endpoint": endpoint_name,
        "version": version,
        "rows": len(predicted),
        "accuracy": accuracy,
        "passed": accuracy >= min_accuracy,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint-name", default=settings.ENDPOINT_NAME)
    parser.add_argument("--min-accuracy", type=float, default=0.9)
    args = parser.parse_args(argv)
    result = validate_endpoint(args.endpoint_name, args.min_accuracy)
    print(json.dumps(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

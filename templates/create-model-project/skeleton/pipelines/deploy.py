"""Puts an approved version of the model on the project's SageMaker real-time endpoint.

    python -m pipelines.deploy [--alias champion | --version 3] [--endpoint-name NAME] [--wait]

The version must be Approved in its SageMaker model package (approve it in the portal's model versions tab).
The endpoint is tagged with the MLflow model and version it serves, which the portal shows, and bound to this
project's catalog entity; an endpoint of that name bound to another entity is refused.
"""

import argparse
import json
import sys

import boto3
import botocore.exceptions
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from .${{ values.packageName }} import settings
from .${{ values.packageName }}.binding import BindingError, bind, binding_tag, check_binding


class DeploymentError(Exception):
    pass


def resolve_version(client: MlflowClient, alias: str | None, version: str | None):
    name = settings.MLFLOW_REGISTERED_MODEL_NAME
    try:
        if version:
            return client.get_model_version(name, version)
        return client.get_model_version_by_alias(name, alias or "champion")
    except MlflowException as error:
        wanted = f"version {version}" if version else f"alias {alias or 'champion'}"
        raise DeploymentError(f"{name} has no {wanted} in MLflow: {error.message}") from error


def deploy(
    endpoint_name: str = settings.ENDPOINT_NAME,
    alias: str | None = "champion",
    version: str | None = None,
    wait: bool = False,
) -> dict:
    model_version = resolve_version(MlflowClient(settings.MLFLOW_TRACKING_URI), alias, version)
    package_arn = model_version.tags.get(settings.TAG_MODEL_PACKAGE_ARN)
    if not package_arn:
        raise DeploymentError(
            f"version {model_version.version} has no SageMaker model package (tag {settings.TAG_MODEL_PACKAGE_ARN})"
        )
    sagemaker = boto3.client("sagemaker", region_name=settings.AWS_REGION)
    package = sagemaker.describe_model_package(ModelPackageName=package_arn)
    if package["ModelApprovalStatus"] != "Approved":
        raise DeploymentError(
            f"version {model_version.version} is {package['ModelApprovalStatus']} in SageMaker: "
            "approve it before deploying"
        )
    container = package["InferenceSpecification"]["Containers"][0]
    suffix = f"v{model_version.version}"
    model_name = f"{settings.MODEL_NAME}-{suffix}"
    config_name = f"{endpoint_name}-{suffix}"
    tags = [
        {"Key": settings.META_REGISTERED_MODEL_NAME, "Value": settings.MLFLOW_REGISTERED_MODEL_NAME},
        {"Key": settings.META_MODEL_VERSION, "Value": str(model_version.version)},
    ]
    endpoint_arn = None
    if _exists(lambda: sagemaker.describe_endpoint(EndpointName=endpoint_name)):
        endpoint_arn = sagemaker.describe_endpoint(EndpointName=endpoint_name)["EndpointArn"]
        check_binding(sagemaker, endpoint_arn)  # before creating or changing anything
    if not _exists(lambda: sagemaker.describe_model(ModelName=model_name)):
        sagemaker.create_model(
            ModelName=model_name,
            ExecutionRoleArn=settings.PIPELINE_ROLE_ARN,
            PrimaryContainer={"Image": container["Image"], "ModelDataUrl": container["ModelDataUrl"]},
            Tags=[*tags, binding_tag()],
        )
    if not _exists(lambda: sagemaker.describe_endpoint_config(EndpointConfigName=config_name)):
        sagemaker.create_endpoint_config(
            EndpointConfigName=config_name,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": model_name,
                    "InitialInstanceCount": 1,
                    "InstanceType": settings.ENDPOINT_INSTANCE_TYPE,
                }
            ],
            Tags=[*tags, binding_tag()],
        )
    if endpoint_arn:
        sagemaker.update_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name)
        sagemaker.add_tags(ResourceArn=endpoint_arn, Tags=tags)
        bind(sagemaker, endpoint_arn)  # an endpoint deployed before the binding existed
    else:
        endpoint_arn = sagemaker.create_endpoint(
            EndpointName=endpoint_name, EndpointConfigName=config_name, Tags=[*tags, binding_tag()]
        )["EndpointArn"]
    if wait:
        sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=endpoint_name)
    return {"endpoint_arn": endpoint_arn, "version": str(model_version.version), "model_package_arn": package_arn}


def _exists(describe) -> bool:
    try:
        describe()
        return True
    except botocore.exceptions.ClientError as error:
        # SageMaker answers a Describe of a missing model, config or endpoint with a ValidationException.
        details = error.response["Error"]
        if details["Code"] == "ValidationException" and "Could not find" in details.get("Message", ""):
            return False
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--alias", default="champion", help="deploy the version holding this MLflow alias")
    which.add_argument("--version", help="deploy this MLflow version")
    parser.add_argument("--endpoint-name", default=settings.ENDPOINT_NAME)
    parser.add_argument("--wait", action="store_true", help="wait until the endpoint is InService")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(deploy(args.endpoint_name, args.alias, args.version, args.wait)))
    except (DeploymentError, BindingError) as error:
        print(f"deploy: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

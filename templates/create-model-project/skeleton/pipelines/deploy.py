"""Puts an approved model package on a stage's SageMaker real-time endpoint, and takes it back off.

    python -m pipelines.deploy [--alias champion | --version 3 | --model-package-arn ARN] [--stage staging]
    python -m pipelines.deploy --stage production --model-package-arn ARN   # only what staging serves
    python -m pipelines.rollback --stage production                          # the config served before

The model is created from the SageMaker model package itself (so the endpoint stays linked to the registry) and
runs as the stage's model role from infra/endpoint.yaml. An existing endpoint is updated blue/green: traffic moves
to the new fleet in canary or linear steps, and SageMaker rolls the update back when one of the stage's CloudWatch
alarms fires. The endpoint is tagged with the version it serves only once it is InService on the new config, so a
rolled-back update leaves the tags naming what still serves. Data capture is on; Application Auto Scaling tracks
invocations per instance. The endpoint and everything created for it are bound to this project's catalog entity;
an endpoint of that name bound to another entity is refused.
"""

import argparse
import json
import sys
import time

import boto3
import botocore.exceptions
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from .${{ values.packageName }} import settings
from .${{ values.packageName }}.binding import BindingError, bind, binding_tag, check_binding
from .stages import (
    STAGES,
    TAG_ENDPOINT_CONFIG,
    TAG_PREVIOUS_ENDPOINT_CONFIG,
    TAG_VALIDATED_PACKAGE,
    VARIANT_NAME,
    Stage,
    stage,
)

# While the endpoint is in one of these, the update is still going (or being rolled back).
_BUSY = {"Creating", "Updating", "SystemUpdating", "RollingBack"}
# A blue/green update may not run longer than this (SageMaker's maximum is 4 hours).
MAX_UPDATE_SECONDS = 4 * 3600


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


def _package(sagemaker, alias: str | None, version: str | None, model_package_arn: str | None) -> tuple[dict, str]:
    """The model package to deploy and its MLflow version, from the package's ARN or from MLflow."""
    client = MlflowClient(settings.MLFLOW_TRACKING_URI)
    model_version = None
    if not model_package_arn:
        model_version = resolve_version(client, alias, version).version
        model_package_arn = client.get_model_version(settings.MLFLOW_REGISTERED_MODEL_NAME, model_version).tags.get(
            settings.TAG_MODEL_PACKAGE_ARN
        )
        if not model_package_arn:
            raise DeploymentError(
                f"version {model_version} has no SageMaker model package (tag {settings.TAG_MODEL_PACKAGE_ARN})"
            )
    try:
        package = sagemaker.describe_model_package(ModelPackageName=model_package_arn)
    except botocore.exceptions.ClientError as error:
        raise DeploymentError(f"no model package {model_package_arn}: {error.response['Error']['Message']}") from error
    # By ARN, not by group name: another account's or region's group may have the same name.
    if not package["ModelPackageArn"].lower().startswith(_group_arn_prefix()):
        raise DeploymentError(
            f"{model_package_arn} is not in this project's model package group {settings.MODEL_PACKAGE_GROUP_NAME}"
        )
    model_version = model_version or _version_of(client, package)
    if package["ModelApprovalStatus"] != "Approved":
        raise DeploymentError(
            f"version {model_version} is {package['ModelApprovalStatus']} in SageMaker: approve it before deploying"
        )
    return package, str(model_version)


def _group_arn_prefix() -> str:
    """The ARN every package of this project's group starts with (this account, region and partition)."""
    _, partition, _, _, account = settings.PIPELINE_ROLE_ARN.split(":")[:5]
    return (
        f"arn:{partition}:sagemaker:{settings.AWS_REGION.lower()}:{account}:model-package/"
        f"{settings.MODEL_PACKAGE_GROUP_NAME.lower()}/"
    )


def _version_of(client: MlflowClient, package: dict) -> str:
    """The MLflow version of a package: its metadata names it, and the version's tag names the package back."""
    named = package.get("CustomerMetadataProperties", {}).get(settings.META_MODEL_VERSION)
    if named:
        return named
    name = settings.MLFLOW_REGISTERED_MODEL_NAME
    for candidate in client.search_model_versions(f"name = '{name}'"):
        if candidate.tags.get(settings.TAG_MODEL_PACKAGE_ARN) == package["ModelPackageArn"]:
            return candidate.version
    raise DeploymentError(f"{package['ModelPackageArn']} is linked to no version of {name} in MLflow")


def deploy(
    endpoint_name: str | None = None,
    alias: str | None = "champion",
    version: str | None = None,
    *,
    stage_name: str = "staging",
    model_package_arn: str | None = None,
    poll_seconds: float = 30,
) -> dict:
    target = stage(stage_name, endpoint_name)
    endpoint_name = target.endpoint_name
    sagemaker = boto3.client("sagemaker", region_name=settings.AWS_REGION)
    package, model_version = _package(sagemaker, alias, version, model_package_arn)
    package_arn = package["ModelPackageArn"]
    if target.name == "production":
        check_staging_serves(package_arn)
    endpoint = _describe(lambda: sagemaker.describe_endpoint(EndpointName=endpoint_name))
    if endpoint:
        check_binding(sagemaker, endpoint["EndpointArn"])  # before creating or changing anything
    _check_alarms(target)

    suffix = f"v{model_version}"
    model_name = config_name = f"{endpoint_name}-{suffix}"
    served = _served_tags(package_arn, model_version)
    model = _describe(lambda: sagemaker.describe_model(ModelName=model_name))
    if model:
        _check_reusable_model(sagemaker, model, package_arn, target.model_role_arn)
    else:
        sagemaker.create_model(
            ModelName=model_name,
            ExecutionRoleArn=target.model_role_arn,
            Containers=[{"ModelPackageName": package_arn}],
            Tags=[*served, binding_tag()],
        )
    config = _describe(lambda: sagemaker.describe_endpoint_config(EndpointConfigName=config_name))
    if config:
        _check_reusable_config(sagemaker, config, model_name, target)
    else:
        sagemaker.create_endpoint_config(
            EndpointConfigName=config_name,
            ProductionVariants=[
                {
                    "VariantName": VARIANT_NAME,
                    "ModelName": model_name,
                    "InitialInstanceCount": target.instance_count,
                    "InstanceType": settings.ENDPOINT_INSTANCE_TYPE,
                }
            ],
            DataCaptureConfig=data_capture_config(target),
            Tags=[*served, binding_tag()],
        )

    previous = None
    if endpoint:
        endpoint_arn = endpoint["EndpointArn"]
        previous = endpoint["EndpointConfigName"]
        if previous != config_name:
            _update(sagemaker, endpoint_name, config_name, deployment_config(target))
        else:
            previous = _tags(sagemaker, endpoint_arn).get(TAG_PREVIOUS_ENDPOINT_CONFIG)  # a repeated release
    else:
        # Bound at once, but it names a version only when it serves one.
        endpoint_arn = sagemaker.create_endpoint(
            EndpointName=endpoint_name, EndpointConfigName=config_name, Tags=[binding_tag()]
        )["EndpointArn"]
    _wait_until_serving(sagemaker, endpoint_name, config_name, poll_seconds)
    _tag_served(sagemaker, endpoint_arn, served, config_name, previous)
    autoscale(target, endpoint_name)
    return {
        "stage": target.name,
        "endpoint_arn": endpoint_arn,
        "endpoint_config": config_name,
        "previous_endpoint_config": previous,
        "version": model_version,
        "model_package_arn": package_arn,
    }


def rollback(stage_name: str = "staging", endpoint_name: str | None = None, *, poll_seconds: float = 30) -> dict:
    """Puts the endpoint back on the config it served before the last release (all at once, alarms still on)."""
    target = stage(stage_name, endpoint_name)
    endpoint_name = target.endpoint_name
    sagemaker = boto3.client("sagemaker", region_name=settings.AWS_REGION)
    endpoint = _describe(lambda: sagemaker.describe_endpoint(EndpointName=endpoint_name))
    if not endpoint:
        raise DeploymentError(f"there is no endpoint {endpoint_name} to roll back")
    endpoint_arn = endpoint["EndpointArn"]
    check_binding(sagemaker, endpoint_arn)
    previous = _tags(sagemaker, endpoint_arn).get(TAG_PREVIOUS_ENDPOINT_CONFIG)
    if not previous:
        raise DeploymentError(
            f"{endpoint_name} records no earlier endpoint config (tag {TAG_PREVIOUS_ENDPOINT_CONFIG}) to roll back to"
        )
    config = _describe(lambda: sagemaker.describe_endpoint_config(EndpointConfigName=previous))
    if not config:
        raise DeploymentError(f"the earlier endpoint config {previous} of {endpoint_name} no longer exists")
    config_tags = _tags(sagemaker, config["EndpointConfigArn"])
    if settings.META_MODEL_VERSION not in config_tags:
        raise DeploymentError(f"the earlier endpoint config {previous} records no model version: roll back by hand")
    served = _served_tags(config_tags.get(settings.TAG_MODEL_PACKAGE_ARN, ""), config_tags[settings.META_MODEL_VERSION])
    _check_alarms(target)
    current = endpoint["EndpointConfigName"]
    _update(sagemaker, endpoint_name, previous, deployment_config(target, all_at_once=True))
    _wait_until_serving(sagemaker, endpoint_name, previous, poll_seconds)
    # The config rolled back from becomes the earlier one: a second rollback rolls forward again.
    _tag_served(sagemaker, endpoint_arn, served, previous, current)
    return {
        "stage": target.name,
        "endpoint_arn": endpoint_arn,
        "endpoint_config": previous,
        "previous_endpoint_config": current,
        "version": config_tags[settings.META_MODEL_VERSION],
    }


def deployment_config(target: Stage, all_at_once: bool = False) -> dict:
    """Blue/green: the new fleet takes traffic in steps; any of the stage's alarms in ALARM rolls it all back."""
    if all_at_once:
        routing = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    else:
        step = {"Type": "CAPACITY_PERCENT", "Value": target.traffic_step_percent}
        size_key = "CanarySize" if target.traffic_shift == "CANARY" else "LinearStepSize"
        routing = {"Type": target.traffic_shift, size_key: step, "WaitIntervalInSeconds": target.wait_seconds}
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            # The old fleet is kept this long after the last shift, watched by the alarms, before it is removed.
            "TerminationWaitInSeconds": min(target.wait_seconds, 3600),
            "MaximumExecutionTimeoutInSeconds": MAX_UPDATE_SECONDS,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": name} for name in target.alarm_names]},
    }


def data_capture_config(target: Stage) -> dict:
    return {
        "EnableCapture": True,
        "InitialSamplingPercentage": target.capture_percent,
        "DestinationS3Uri": target.data_capture_uri,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
    }


def autoscale(target: Stage, endpoint_name: str) -> None:
    """Target tracking on invocations per instance. Here, not in CloudFormation: the variant must exist first.

    A fixed fleet (min = max capacity, staging by default) is not registered: there is nothing to scale, and the
    staging release role then needs no Application Auto Scaling permission (which takes no resource-level scope,
    so it would reach production's scaling too)."""
    if target.min_capacity == target.max_capacity:
        return
    autoscaling = boto3.client("application-autoscaling", region_name=settings.AWS_REGION)
    resource_id = f"endpoint/{endpoint_name}/variant/{VARIANT_NAME}"
    dimension = "sagemaker:variant:DesiredInstanceCount"
    autoscaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource_id,
        ScalableDimension=dimension,
        MinCapacity=target.min_capacity,
        MaxCapacity=target.max_capacity,
    )
    autoscaling.put_scaling_policy(
        PolicyName=f"{endpoint_name}-invocations",
        ServiceNamespace="sagemaker",
        ResourceId=resource_id,
        ScalableDimension=dimension,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target.invocations_per_instance,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            "ScaleOutCooldown": 60,
            "ScaleInCooldown": 300,
        },
    )


def staging_serves() -> str:
    """The model package the staging endpoint really serves, read from its endpoint config's model.

    Not from the endpoint's tags: the staging release role writes those, and must not be able to choose what
    production promotes. Staging must serve one variant whose model is made from one package, and nothing else.
    """
    sagemaker = boto3.client("sagemaker", region_name=settings.AWS_REGION)
    name = stage("staging").endpoint_name
    endpoint = _describe(lambda: sagemaker.describe_endpoint(EndpointName=name))
    if not endpoint or endpoint["EndpointStatus"] != "InService":
        status = endpoint["EndpointStatus"] if endpoint else "missing"
        raise DeploymentError(f"staging ({name}) is {status}: release a package to staging first")
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    variants = config["ProductionVariants"]
    if len(variants) != 1 or config.get("ShadowProductionVariants"):
        raise DeploymentError(f"staging ({name}) serves {endpoint['EndpointConfigName']}, not one model: release again")
    model = sagemaker.describe_model(ModelName=variants[0]["ModelName"])
    containers = model.get("Containers") or [model.get("PrimaryContainer", {})]
    package = containers[0].get("ModelPackageName") if len(containers) == 1 else None
    if not package or containers[0].get("Environment"):
        raise DeploymentError(f"staging ({name}) serves the model {model['ModelName']}, which is not one model package")
    return package


def mark_validated(package_arn: str) -> None:
    """Records on the staging endpoint that validate-endpoint passed on the package it serves."""
    serving = staging_serves()
    if serving != package_arn:
        raise DeploymentError(f"staging serves {serving}, not {package_arn}: not recording a validation of it")
    sagemaker = boto3.client("sagemaker", region_name=settings.AWS_REGION)
    endpoint_arn = sagemaker.describe_endpoint(EndpointName=stage("staging").endpoint_name)["EndpointArn"]
    _set_tags(sagemaker, endpoint_arn, [{"Key": TAG_VALIDATED_PACKAGE, "Value": package_arn}])


def check_staging_serves(package_arn: str) -> None:
    """Production takes only the package staging really serves, and only once validate-endpoint passed there."""
    serving = staging_serves()
    if serving != package_arn:
        raise DeploymentError(
            f"staging serves {serving}, not {package_arn}: release it to staging and validate it there first"
        )
    sagemaker = boto3.client("sagemaker", region_name=settings.AWS_REGION)
    endpoint = sagemaker.describe_endpoint(EndpointName=stage("staging").endpoint_name)
    if _tags(sagemaker, endpoint["EndpointArn"]).get(TAG_VALIDATED_PACKAGE) != package_arn:
        raise DeploymentError(f"staging serves {package_arn}, which has not passed validate-endpoint there")


def package_version(package_arn: str) -> str:
    """The MLflow version of one of this project's approved packages (from the package, not from any endpoint)."""
    sagemaker = boto3.client("sagemaker", region_name=settings.AWS_REGION)
    return _package(sagemaker, None, None, package_arn)[1]


def _check_reusable_model(sagemaker, model: dict, package_arn: str, role_arn: str) -> None:
    """A model of the name a release would create is reused only if this project made it from this package."""
    containers = model.get("Containers") or [model.get("PrimaryContainer", {})]
    made_here = check_binding(sagemaker, model["ModelArn"]) and model.get("ExecutionRoleArn") == role_arn
    packages = [(container.get("ModelPackageName"), container.get("Environment") or {}) for container in containers]
    if not made_here or packages != [(package_arn, {})]:
        raise DeploymentError(
            f"the model {model['ModelName']} exists but was not made from {package_arn} alone, as the stage's "
            f"model role, by a release of {settings.ENTITY_REF} (another package of the same version, or made by "
            "hand): delete it, or release the package it was made from"
        )


def _check_reusable_config(sagemaker, config: dict, model_name: str, target: Stage) -> None:
    """An endpoint config of the name a release would create is reused only if it serves that model alone."""
    variants = [
        (variant["VariantName"], variant["ModelName"], variant.get("InstanceType"), variant.get("InitialInstanceCount"))
        for variant in config["ProductionVariants"]
    ]
    expected = [(VARIANT_NAME, model_name, settings.ENDPOINT_INSTANCE_TYPE, target.instance_count)]
    capture = config.get("DataCaptureConfig", {})
    made_here = check_binding(sagemaker, config["EndpointConfigArn"]) and not config.get("ShadowProductionVariants")
    if not made_here or variants != expected or capture.get("DestinationS3Uri") != target.data_capture_uri:
        raise DeploymentError(
            f"the endpoint config {config['EndpointConfigName']} exists but was not made by a release of "
            f"{settings.ENTITY_REF} to serve {model_name} alone as {VARIANT_NAME} on {target.name}'s fleet and data "
            "capture: delete it, then release again"
        )


def _check_alarms(target: Stage) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=settings.AWS_REGION)
    found = {a["AlarmName"] for a in cloudwatch.describe_alarms(AlarmNames=target.alarm_names)["MetricAlarms"]}
    missing = [name for name in target.alarm_names if name not in found]
    if missing:
        raise DeploymentError(
            f"the {target.name} alarms {', '.join(missing)} do not exist: deploy infra/endpoint.yaml for "
            f"{target.endpoint_name} first (they roll a bad update back)"
        )


def _update(sagemaker, endpoint_name: str, config_name: str, config: dict) -> None:
    try:
        sagemaker.update_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name, DeploymentConfig=config)
    except botocore.exceptions.ClientError as error:
        # For example an update already under way: the endpoint must be InService to take another one.
        raise DeploymentError(f"{endpoint_name} refused the update to {config_name}: {error}") from error


def _wait_until_serving(sagemaker, endpoint_name: str, config_name: str, poll_seconds: float) -> None:
    """Waits out the update; it succeeded only if the endpoint is InService on the new config."""
    deadline = time.monotonic() + MAX_UPDATE_SECONDS + 3600
    while True:
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
        if endpoint["EndpointStatus"] not in _BUSY:
            break
        if time.monotonic() > deadline:
            raise DeploymentError(f"{endpoint_name} is still {endpoint['EndpointStatus']} after the update's timeout")
        time.sleep(poll_seconds)
    reason = endpoint.get("FailureReason", "")
    if endpoint["EndpointStatus"] != "InService":
        raise DeploymentError(f"{endpoint_name} is {endpoint['EndpointStatus']}: {reason or 'no reason given'}")
    if endpoint["EndpointConfigName"] != config_name:
        raise DeploymentError(
            f"{endpoint_name} still serves {endpoint['EndpointConfigName']}: the update to {config_name} was "
            f"rolled back ({reason or 'an alarm fired'}); its tags are unchanged"
        )


def _served_tags(package_arn: str, model_version: str) -> list[dict]:
    tags = [
        {"Key": settings.META_REGISTERED_MODEL_NAME, "Value": settings.MLFLOW_REGISTERED_MODEL_NAME},
        {"Key": settings.META_MODEL_VERSION, "Value": str(model_version)},
    ]
    return [*tags, {"Key": settings.TAG_MODEL_PACKAGE_ARN, "Value": package_arn}] if package_arn else tags


def _tag_served(sagemaker, endpoint_arn: str, served: list[dict], config_name: str, previous: str | None) -> None:
    tags = [*served, {"Key": TAG_ENDPOINT_CONFIG, "Value": config_name}]
    if previous:
        tags.append({"Key": TAG_PREVIOUS_ENDPOINT_CONFIG, "Value": previous})
    # What the endpoint served before and the new set does not name (a package, a validation) no longer holds.
    named = {tag["Key"] for tag in tags}
    gone = [key for key in (settings.TAG_MODEL_PACKAGE_ARN, TAG_VALIDATED_PACKAGE) if key not in named]
    current = _tags(sagemaker, endpoint_arn)
    if any(key in current for key in gone):
        sagemaker.delete_tags(ResourceArn=endpoint_arn, TagKeys=[key for key in gone if key in current])
    _set_tags(sagemaker, endpoint_arn, tags)
    bind(sagemaker, endpoint_arn)  # an endpoint deployed before the binding existed


def _set_tags(sagemaker, arn: str, tags: list[dict]) -> None:
    current = _tags(sagemaker, arn)
    stale = [tag["Key"] for tag in tags if tag["Key"] in current and current[tag["Key"]] != tag["Value"]]
    if stale:
        # SageMaker's AddTags overwrites a key's value, the emulator keeps both: drop the old value first.
        sagemaker.delete_tags(ResourceArn=arn, TagKeys=stale)
    sagemaker.add_tags(ResourceArn=arn, Tags=tags)


def _tags(sagemaker, arn: str) -> dict:
    return {tag["Key"]: tag["Value"] for tag in sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def _describe(describe) -> dict | None:
    try:
        return describe()
    except botocore.exceptions.ClientError as error:
        # SageMaker answers a Describe of a missing model, config or endpoint with a ValidationException.
        details = error.response["Error"]
        if details["Code"] == "ValidationException" and "Could not find" in details.get("Message", ""):
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--alias", default="champion", help="deploy the version holding this MLflow alias")
    which.add_argument("--version", help="deploy this MLflow version")
    which.add_argument("--model-package-arn", help="deploy this model package (what the approval event names)")
    parser.add_argument("--stage", choices=STAGES, default="staging")
    parser.add_argument("--endpoint-name", help="default: the stage's endpoint (pipelines/stages.py)")
    args = parser.parse_args(argv)
    try:
        result = deploy(
            args.endpoint_name,
            args.alias,
            args.version,
            stage_name=args.stage,
            model_package_arn=args.model_package_arn,
        )
    except (DeploymentError, BindingError) as error:
        print(f"deploy: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

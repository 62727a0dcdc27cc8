"""The release flow: a model package to staging, validated, then production, each update blue/green; rollback."""

import json
from pathlib import Path

import boto3
import pytest
import requests

from pipelines import release as release_module
from pipelines import rollback as rollback_module
from pipelines.deploy import DeploymentError, deploy, mark_validated, rollback
from pipelines.release import release
from pipelines.run_local import run_local
from pipelines.stages import TAG_ENDPOINT_CONFIG, TAG_PREVIOUS_ENDPOINT_CONFIG, stage

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def packages(release_alarms):
    """Two approved versions (older, newer) and their model packages."""
    sagemaker = boto3.client("sagemaker")
    found = []
    for regularization in (1.0, 0.3):
        registered = run_local(regularization=regularization, gate_threshold=0.5)["registered"]
        sagemaker.update_model_package(ModelPackageArn=registered["model_package_arn"], ModelApprovalStatus="Approved")
        found.append(registered)
    return found


def endpoint_tags(stage_name):
    sagemaker = boto3.client("sagemaker")
    arn = sagemaker.describe_endpoint(EndpointName=stage(stage_name).endpoint_name)["EndpointArn"]
    return {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def served_config(stage_name):
    return boto3.client("sagemaker").describe_endpoint(EndpointName=stage(stage_name).endpoint_name)[
        "EndpointConfigName"
    ]


def serving(stage_name, package, update_endpoint):
    """Puts the stage on the package (through production's guard: staging first)."""
    if stage_name == "production":
        serving("staging", package, update_endpoint)
        mark_validated(package["model_package_arn"])  # what release does once validate-endpoint passed
    deploy(stage_name=stage_name, model_package_arn=package["model_package_arn"], poll_seconds=0)
    assert endpoint_tags(stage_name)[stack_settings().TAG_MODEL_PACKAGE_ARN] == package["model_package_arn"]


def stack_settings():
    from pipelines.stages import settings

    return settings


def test_the_model_comes_from_the_model_package_and_serves_with_capture(packages, update_endpoint):
    older = packages[0]
    serving("staging", older, update_endpoint)
    staging = stage("staging")
    sagemaker = boto3.client("sagemaker")
    name = f"{staging.endpoint_name}-v{older['version']}"
    model = sagemaker.describe_model(ModelName=name)
    assert model["Containers"] == [{"ModelPackageName": older["model_package_arn"]}]
    assert model["ExecutionRoleArn"] == staging.model_role_arn
    assert model["ExecutionRoleArn"] != stack_settings().PIPELINE_ROLE_ARN
    config = sagemaker.describe_endpoint_config(EndpointConfigName=name)
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 2
    assert config["ProductionVariants"][0]["VariantName"] == "AllTraffic"
    capture = config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert (
        capture["DestinationS3Uri"] == f"s3://{stack_settings().ARTIFACT_BUCKET}/data-capture/{staging.endpoint_name}"
    )


def test_autoscaling_tracks_invocations_per_instance(packages, update_endpoint):
    serving("staging", packages[0], update_endpoint)
    autoscaling = boto3.client("application-autoscaling")
    resource = f"endpoint/{stage('staging').endpoint_name}/variant/AllTraffic"
    targets = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource])
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets["ScalableTargets"]] == [(2, 2)]
    policies = autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=resource)
    [policy] = policies["ScalingPolicies"]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == "SageMakerVariantInvocationsPerInstance"


def test_staging_then_production_each_updated_blue_green(packages, update_endpoint):
    older, newer = packages
    serving("production", older, update_endpoint)
    update_endpoint.requests.clear()

    staged = deploy(stage_name="staging", model_package_arn=newer["model_package_arn"], poll_seconds=0)
    mark_validated(newer["model_package_arn"])
    promoted = deploy(stage_name="production", model_package_arn=newer["model_package_arn"], poll_seconds=0)

    staging_update, production_update = update_endpoint.requests
    assert staging_update["EndpointConfigName"] == staged["endpoint_config"] == served_config("staging")
    assert production_update["EndpointConfigName"] == promoted["endpoint_config"] == served_config("production")
    for update, name, shift in ((staging_update, "staging", "CANARY"), (production_update, "production", "LINEAR")):
        config = update["DeploymentConfig"]
        routing = config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
        assert routing["Type"] == shift
        assert routing["CanarySize" if shift == "CANARY" else "LinearStepSize"] == {
            "Type": "CAPACITY_PERCENT",
            "Value": 50,
        }
        alarms = [a["AlarmName"] for a in config["AutoRollbackConfiguration"]["Alarms"]]
        assert alarms == stage(name).alarm_names
        tags = endpoint_tags(name)
        assert tags[stack_settings().META_MODEL_VERSION] == newer["version"]
        assert tags[TAG_PREVIOUS_ENDPOINT_CONFIG] == f"{stage(name).endpoint_name}-v{older['version']}"


def test_production_takes_only_what_staging_serves(packages, update_endpoint):
    older, newer = packages
    serving("staging", older, update_endpoint)
    before = served_config("production")
    with pytest.raises(DeploymentError, match="staging serves"):
        deploy(stage_name="production", model_package_arn=newer["model_package_arn"], poll_seconds=0)
    assert served_config("production") == before


def test_production_refuses_what_staging_serves_but_did_not_validate(packages, update_endpoint):
    older, newer = packages
    serving("production", older, update_endpoint)
    deploy(stage_name="staging", model_package_arn=newer["model_package_arn"], poll_seconds=0)  # not validated
    before = served_config("production")
    with pytest.raises(DeploymentError, match="has not passed validate-endpoint"):
        release("production", None, poll_seconds=0)
    assert served_config("production") == before


def test_the_tag_is_not_moved_when_the_update_is_rolled_back(packages, update_endpoint):
    older, newer = packages
    serving("staging", older, update_endpoint)
    tags_before = endpoint_tags("staging")
    update_endpoint.outcome = "rolls back"  # an alarm fired during the traffic shift

    with pytest.raises(DeploymentError, match="rolled back"):
        deploy(stage_name="staging", model_package_arn=newer["model_package_arn"], poll_seconds=0)

    assert update_endpoint.requests[-1]["EndpointConfigName"] == f"{stage('staging').endpoint_name}-v{newer['version']}"
    assert served_config("staging") == f"{stage('staging').endpoint_name}-v{older['version']}"
    assert endpoint_tags("staging") == tags_before


def test_rollback_restores_the_previous_config(packages, update_endpoint):
    older, newer = packages
    serving("staging", older, update_endpoint)
    serving("staging", newer, update_endpoint)
    older_config = f"{stage('staging').endpoint_name}-v{older['version']}"
    newer_config = f"{stage('staging').endpoint_name}-v{newer['version']}"

    result = rollback("staging", poll_seconds=0)

    assert update_endpoint.requests[-1]["EndpointConfigName"] == older_config
    routing = update_endpoint.requests[-1]["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["Type"] == "ALL_AT_ONCE"
    assert served_config("staging") == older_config == result["endpoint_config"]
    tags = endpoint_tags("staging")
    assert tags[stack_settings().META_MODEL_VERSION] == older["version"]
    assert tags[stack_settings().TAG_MODEL_PACKAGE_ARN] == older["model_package_arn"]
    assert tags[TAG_ENDPOINT_CONFIG] == older_config
    assert tags[TAG_PREVIOUS_ENDPOINT_CONFIG] == newer_config  # a second rollback rolls forward


def test_rollback_of_an_endpoint_with_no_earlier_config_is_refused(release_alarms):
    assert rollback_module.main(["--endpoint-name", "no-such-endpoint"]) == 2


def test_a_release_refuses_an_endpoint_whose_alarms_are_missing(packages, update_endpoint, monkeypatch):
    monkeypatch.setenv("STAGING_ENDPOINT_NAME", "without-alarms-staging")
    with pytest.raises(DeploymentError, match="infra/endpoint.yaml"):
        deploy(stage_name="staging", model_package_arn=packages[0]["model_package_arn"], poll_seconds=0)
    endpoints = boto3.client("sagemaker").list_endpoints(NameContains="without-alarms")["Endpoints"]
    assert endpoints == []


def endpoint_answers(stack, predictions):
    requests.post(
        f"{stack['emulator']}/moto-api/static/sagemaker/endpoint-results",
        json={"results": [{"Body": json.dumps({"predictions": predictions}), "ContentType": "application/json"}]},
        timeout=10,
    ).raise_for_status()


def sample_labels(stack, version):
    import mlflow
    from mlflow import MlflowClient

    settings = stack["settings"]
    run_id = MlflowClient(stack["mlflow"]).get_model_version(settings.MLFLOW_REGISTERED_MODEL_NAME, version).run_id
    mlflow.set_tracking_uri(stack["mlflow"])
    return mlflow.artifacts.load_dict(f"runs:/{run_id}/{settings.VALIDATION_SAMPLE_ARTIFACT}")["labels"]


def test_a_staging_release_that_fails_validation_is_rolled_back(stack, packages, update_endpoint, capsys):
    older, newer = packages
    serving("staging", older, update_endpoint)
    endpoint_answers(stack, [1 - label for label in sample_labels(stack, newer["version"])])

    status = release_module.main(["--stage", "staging", "--model-package-arn", newer["model_package_arn"]])

    assert status == 1
    steps = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [step.get("passed") for step in steps[1:2]] == [False]
    assert served_config("staging") == f"{stage('staging').endpoint_name}-v{older['version']}"
    assert endpoint_tags("staging")[stack_settings().META_MODEL_VERSION] == older["version"]


def test_a_validation_that_cannot_run_fails_the_release_and_rolls_staging_back(packages, update_endpoint, monkeypatch):
    older, newer = packages
    serving("staging", older, update_endpoint)

    def model_error(*args, **kwargs):
        # Stands in for an endpoint answering 5xx (the emulator's InvokeEndpoint cannot): any error, not only
        # validate-endpoint's own refusal, must count as a failed validation.
        raise RuntimeError("ModelError: the model answered 500")

    monkeypatch.setattr(release_module, "validate_endpoint", model_error)
    status, steps = release("staging", newer["model_package_arn"], poll_seconds=0)
    assert status == 1 and steps[1] == {"passed": False, "error": "RuntimeError: ModelError: the model answered 500"}
    assert served_config("staging") == f"{stage('staging').endpoint_name}-v{older['version']}"
    with pytest.raises(DeploymentError, match="has not passed validate-endpoint"):
        release("production", None, poll_seconds=0)


def test_a_validated_staging_release_is_promoted_by_the_production_step(stack, packages, update_endpoint):
    older, newer = packages
    serving("production", older, update_endpoint)
    endpoint_answers(stack, sample_labels(stack, newer["version"]))

    status, steps = release("staging", newer["model_package_arn"], poll_seconds=0)
    assert status == 0 and steps[1]["passed"]
    # The approver starts production without naming the package: it is the one staging serves.
    status, [promoted] = release("production", None, poll_seconds=0)
    assert status == 0 and promoted["model_package_arn"] == newer["model_package_arn"]
    assert endpoint_tags("production")[stack_settings().META_MODEL_VERSION] == newer["version"]


def cfn(path):
    from cfnlint.decode import decode

    template, errors = decode(str(path))
    assert not errors, errors
    return template


@pytest.mark.parametrize("name", ["endpoint.yaml", "release-trigger.yaml"])
def test_the_infrastructure_passes_cfn_lint(name):
    from cfnlint.api import lint_file

    matches = lint_file(ROOT / "infra" / name)
    assert [str(m) for m in matches] == []


def test_the_infrastructure_names_what_the_release_code_uses():
    """Alarm and role names are joined by name between infra/endpoint.yaml and pipelines/stages.py."""
    template = cfn(ROOT / "infra" / "endpoint.yaml")
    defaults = {
        "staging": template["Parameters"]["StagingEndpointName"]["Default"],
        "production": template["Parameters"]["ProductionEndpointName"]["Default"],
    }
    resources = template["Resources"]
    alarm_patterns = [
        resources[r]["Properties"]["AlarmName"]["Fn::Sub"][0] for r in ("Invocation5xxAlarm", "ModelLatencyAlarm")
    ]
    role_pattern = resources["ModelRole"]["Properties"]["RoleName"]["Fn::Sub"][0]
    for name, endpoint in defaults.items():
        target = stage(name)
        assert endpoint == target.endpoint_name
        assert [p.replace("${Endpoint}", endpoint) for p in alarm_patterns] == target.alarm_names
        assert target.model_role_arn.endswith(":role/" + role_pattern.replace("${Endpoint}", endpoint))
    trigger = cfn(ROOT / "infra" / "release-trigger.yaml")["Resources"]["ApprovedRule"]["Properties"]
    assert trigger["EventPattern"]["detail-type"] == ["SageMaker Model Package State Change"]
    assert trigger["EventPattern"]["detail"]["ModelApprovalStatus"] == ["Approved"]

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
    serving("production", packages[0], update_endpoint)
    autoscaling = boto3.client("application-autoscaling")
    resource = f"endpoint/{stage('production').endpoint_name}/variant/AllTraffic"
    targets = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource])
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets["ScalableTargets"]] == [(2, 6)]
    # Staging's fleet is fixed (2–2): nothing is registered, so its release role needs no autoscaling permission.
    staging = f"endpoint/{stage('staging').endpoint_name}/variant/AllTraffic"
    assert (
        autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[staging])["ScalableTargets"]
        == []
    )
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
        release("production", newer["model_package_arn"], poll_seconds=0)
    with pytest.raises(DeploymentError, match="--model-package-arn is required for production"):
        release("production", None, poll_seconds=0)
    assert served_config("production") == before


def test_staging_tags_cannot_choose_what_production_promotes(packages, update_endpoint):
    """The staging role may write staging's tags: claiming there that it serves and validated another package (an
    approved older one, say) does not make production take it, since production reads the config's model."""
    older, newer = packages
    serving("production", older, update_endpoint)
    serving("staging", newer, update_endpoint)
    sagemaker = boto3.client("sagemaker")
    arn = sagemaker.describe_endpoint(EndpointName=stage("staging").endpoint_name)["EndpointArn"]
    forged = [
        {"Key": stack_settings().TAG_MODEL_PACKAGE_ARN, "Value": older["model_package_arn"]},
        {"Key": "model-factory.validated_package", "Value": older["model_package_arn"]},
    ]
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=[tag["Key"] for tag in forged])
    sagemaker.add_tags(ResourceArn=arn, Tags=forged)
    production_before = served_config("production")
    serve_newer = f"{stage('production').endpoint_name}-v{newer['version']}"
    update_endpoint.requests.clear()

    with pytest.raises(DeploymentError, match=f"staging serves {newer['model_package_arn']}, not"):
        release("production", older["model_package_arn"], poll_seconds=0)
    with pytest.raises(DeploymentError, match="has not passed validate-endpoint"):
        release("production", newer["model_package_arn"], poll_seconds=0)
    assert update_endpoint.requests == []
    assert served_config("production") == production_before != serve_newer


def test_production_validates_staging_again_before_promoting(stack, packages, update_endpoint):
    older, newer = packages
    serving("production", older, update_endpoint)
    serving("staging", newer, update_endpoint)
    mark_validated(newer["model_package_arn"])
    endpoint_answers(stack, [1 - label for label in sample_labels(stack, newer["version"])])
    before = served_config("production")

    status, [validation] = release("production", newer["model_package_arn"], poll_seconds=0)

    assert status == 1 and validation["passed"] is False and validation["version"] == newer["version"]
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


def test_a_model_of_the_release_name_made_elsewhere_is_not_reused(packages, update_endpoint, alarms, monkeypatch):
    """A model named like the one a release would create, made from another package (or by hand), is refused."""
    older, newer = packages
    monkeypatch.setenv("STAGING_ENDPOINT_NAME", "squatted-staging")
    target = stage("staging")
    alarms(target.alarm_names)
    sagemaker = boto3.client("sagemaker")
    squatted = f"{target.endpoint_name}-v{newer['version']}"
    sagemaker.create_model(
        ModelName=squatted,
        ExecutionRoleArn=target.model_role_arn,
        Containers=[{"ModelPackageName": older["model_package_arn"]}],
    )
    with pytest.raises(DeploymentError, match=f"the model {squatted} exists but was not made from"):
        deploy(stage_name="staging", model_package_arn=newer["model_package_arn"], poll_seconds=0)
    assert sagemaker.list_endpoints(NameContains="squatted-staging")["Endpoints"] == []
    assert sagemaker.list_endpoint_configs(NameContains="squatted-staging")["EndpointConfigs"] == []


def test_a_package_of_another_account_is_refused(packages, update_endpoint, monkeypatch):
    """The group is compared by ARN: a same-named group of another account (here ours, seen from another) is refused."""
    settings = stack_settings()
    fields = settings.PIPELINE_ROLE_ARN.split(":")
    fields[4] = "999999999999" if fields[4] != "999999999999" else "111111111111"
    monkeypatch.setattr(settings, "PIPELINE_ROLE_ARN", ":".join(fields))
    before = served_config("staging") if endpoint_exists("staging") else None
    with pytest.raises(DeploymentError, match="is not in this project's model package group"):
        deploy(stage_name="staging", model_package_arn=packages[1]["model_package_arn"], poll_seconds=0)
    assert (served_config("staging") if endpoint_exists("staging") else None) == before


def endpoint_exists(stage_name):
    return bool(boto3.client("sagemaker").list_endpoints(NameContains=stage(stage_name).endpoint_name)["Endpoints"])


def release_policy(stage_name):
    return json.loads((ROOT / "iam" / f"release-{stage_name}-role-policy.json").read_text())


def _actions(statement):
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def _resources(statement):
    return statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]


# What production may do on staging: read what it serves, and validate it again.
READS = {
    "sagemaker:DescribeEndpoint",
    "sagemaker:ListTags",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DescribeModel",
    "sagemaker:DescribeModelPackage",
    "sagemaker:InvokeEndpoint",
}


def policy_resources(policy, writes_only=False):
    """The resources the policy's statements name (with writes_only: those of statements allowing more than reads)."""
    return {
        resource
        for statement in policy["Statement"]
        if not writes_only or set(_actions(statement)) - READS
        for resource in _resources(statement)
    }


def test_the_staging_release_role_can_touch_no_production_resource():
    production = stage("production").endpoint_name
    named = {resource for resource in policy_resources(release_policy("staging")) if production in resource}
    assert named == set()
    actions = {action for statement in release_policy("staging")["Statement"] for action in _actions(statement)}
    assert not any(action.startswith("application-autoscaling:") for action in actions)


def test_the_production_release_role_only_reads_staging():
    staging = stage("staging").endpoint_name
    written = {r for r in policy_resources(release_policy("production"), writes_only=True) if f"/{staging}" in r}
    assert written == set()
    read = {r for r in policy_resources(release_policy("production")) if r.endswith(f":endpoint/{staging}")}
    assert len(read) == 1  # it reads what staging serves and validates it there again


def endpoint_answers(stack, predictions, times=1):
    """Queues the emulator's next InvokeEndpoint answers (one per call, in order)."""
    answer = {"Body": json.dumps({"predictions": predictions}), "ContentType": "application/json"}
    requests.post(
        f"{stack['emulator']}/moto-api/static/sagemaker/endpoint-results",
        json={"results": [answer] * times},
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
    with pytest.raises(DeploymentError, match="staging serves"):
        release("production", newer["model_package_arn"], poll_seconds=0)


def test_a_validated_staging_release_is_promoted_by_the_production_step(stack, packages, update_endpoint):
    older, newer = packages
    serving("production", older, update_endpoint)
    endpoint_answers(stack, sample_labels(stack, newer["version"]), times=2)  # staging's validation, production's

    status, steps = release("staging", newer["model_package_arn"], poll_seconds=0)
    assert status == 0 and steps[1]["passed"]
    # The approver names the package it promotes: the one staging serves and validated (validated again now).
    status, [validation, promoted] = release("production", newer["model_package_arn"], poll_seconds=0)
    assert status == 0 and validation["passed"] and validation["version"] == newer["version"]
    assert promoted["model_package_arn"] == newer["model_package_arn"]
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
    # The model role reads only registered models' data and pulls only this project's serving image.
    statements = {
        statement["Sid"]: statement
        for statement in resources["ModelRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    }
    project = template["Parameters"]["ProjectName"]["Default"]
    assert project == stack_settings().MODEL_NAME
    assert statements["ReadModelArtifacts"]["Resource"]["Fn::Sub"].endswith("/${ProjectName}/model-packages/*")
    assert statements["PullServingImage"]["Resource"]["Fn::Sub"].endswith(":repository/${ProjectName}-serving")
    assert stack_settings().INFERENCE_IMAGE_URI.split("/", 1)[1].startswith(f"{project}-serving")
    trigger = cfn(ROOT / "infra" / "release-trigger.yaml")["Resources"]["ApprovedRule"]["Properties"]
    assert trigger["EventPattern"]["detail-type"] == ["SageMaker Model Package State Change"]
    assert trigger["EventPattern"]["detail"]["ModelApprovalStatus"] == ["Approved"]

"""Real parts for the tests: an MLflow tracking server and the SageMaker/S3 emulator (moto).

Point MLFLOW_TRACKING_URI / AWS_ENDPOINT_URL at running ones, or the session starts its own on free ports.
Never run these tests against a real AWS account: the fixtures create and change resources.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

# The emulator accepts any credentials; set them before boto3 or the project's settings are imported.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = os.environ.get("AWS_REGION", "us-east-1")
os.environ.pop("AWS_PROFILE", None)
os.environ.setdefault("SAGEMAKER_TELEMETRY_OPT_OUT", "true")
# Not a CI build: the commit and build CI names (lineage.py) are recorded only where a test sets them.
for _name in (
    "GIT_SHA",
    "CODEBUILD_RESOLVED_SOURCE_VERSION",
    "GITHUB_SHA",
    "CI_BUILD_URL",
    "GITHUB_RUN_ID",
    "CODEBUILD_BUILD_ARN",
):
    os.environ.pop(_name, None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _server(module_args: list[str], port_flag: str, health_path: str):
    """Runs `python -m <module_args> <port_flag> PORT` on a free loopback port for the block; yields its URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", *module_args, port_flag, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{module_args[0]} exited with {process.returncode}")
            try:
                urllib.request.urlopen(base + health_path, timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{module_args[0]} did not answer within 60 s") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def mlflow_uri():
    if os.environ.get("TEST_MLFLOW_TRACKING_URI"):
        yield os.environ["TEST_MLFLOW_TRACKING_URI"]
        return
    with tempfile.TemporaryDirectory(prefix="mlflow-test-") as store:
        server = ["mlflow", "server", "--host", "127.0.0.1", "--backend-store-uri", f"sqlite:///{store}/mlflow.db"]
        with _server([*server, "--artifacts-destination", f"{store}/artifacts"], "--port", "/health") as url:
            yield url


@pytest.fixture(scope="session")
def emulator_url():
    if os.environ.get("TEST_AWS_ENDPOINT_URL"):
        yield os.environ["TEST_AWS_ENDPOINT_URL"]
        return
    # Its own process: moto's in-process mock (the offline definition test) would reset a server in this one.
    with _server(["moto.server", "-H", "127.0.0.1"], "-p", "/moto-api/") as url:
        yield url


@pytest.fixture(scope="session")
def stack(mlflow_uri, emulator_url):
    """Points the project at the real parts and provisions what the template's actions create."""
    os.environ["MLFLOW_TRACKING_URI"] = mlflow_uri
    os.environ["AWS_ENDPOINT_URL"] = emulator_url
    from pipelines.${{ values.packageName }} import settings

    settings.MLFLOW_TRACKING_URI = mlflow_uri
    import boto3

    iam = boto3.client("iam")
    role = settings.PIPELINE_ROLE_ARN.rsplit("/", 1)[-1]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    try:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName=role, PolicyName="pipeline", PolicyDocument=json.dumps(allow_all))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    s3 = boto3.client("s3")
    try:
        s3.create_bucket(Bucket=settings.ARTIFACT_BUCKET)
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass
    # What the template's provisioning actions create, bound to this project's entity as they bind it.
    from mlflow import MlflowClient

    from pipelines.${{ values.packageName }}.binding import bind, binding_tag

    sagemaker = boto3.client("sagemaker")
    group = settings.MODEL_PACKAGE_GROUP_NAME
    groups = sagemaker.list_model_package_groups(NameContains=group)["ModelPackageGroupSummaryList"]
    group_arn = next((g["ModelPackageGroupArn"] for g in groups if g["ModelPackageGroupName"] == group), None)
    if group_arn is None:
        group_arn = sagemaker.create_model_package_group(ModelPackageGroupName=group, Tags=[binding_tag()])[
            "ModelPackageGroupArn"
        ]
    bind(sagemaker, group_arn)  # a group an emulator kept from before the binding existed
    client = MlflowClient(mlflow_uri)
    name = settings.MLFLOW_REGISTERED_MODEL_NAME
    if client.search_registered_models(filter_string=f"name = '{name}'"):
        client.set_registered_model_tag(name, settings.BINDING_TAG, settings.ENTITY_REF)
    else:
        client.create_registered_model(name, tags={settings.BINDING_TAG: settings.ENTITY_REF})
    return {"mlflow": mlflow_uri, "emulator": emulator_url, "settings": settings}


@pytest.fixture(scope="session")
def release_alarms(stack):
    """The CloudWatch alarms infra/endpoint.yaml creates for each stage (a blue/green update names them)."""
    from pipelines.stages import STAGES, stage

    for name in STAGES:
        put_alarms(stage(name).alarm_names)
    return stack


@pytest.fixture
def alarms(stack):
    """Creates the alarms of a stage whose endpoint a test renames."""
    return put_alarms


def put_alarms(names):
    """Creates CloudWatch alarms of these names in the emulator (what infra/endpoint.yaml creates for a stage)."""
    import boto3

    cloudwatch = boto3.client("cloudwatch")
    for alarm in names:
        cloudwatch.put_metric_alarm(
            AlarmName=alarm,
            Namespace="AWS/SageMaker",
            MetricName="Invocation5XXErrors",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )


class UpdateEndpointStandIn:
    """The emulator lacks UpdateEndpoint (and so its DeploymentConfig): only that call is answered here, by a botocore
    before-call hook as botocore's Stubber answers one; every other call, and what it creates, is the emulator's.

    It records each request and leaves the endpoint as SageMaker leaves it once the update has ended: on the new
    config (`outcome = "succeeds"`), or, as after an alarm rolled the blue/green update back, on the old one
    (`outcome = "rolls back"`). The new config is put in place with the emulator's own calls (delete and create the
    endpoint under its name: same ARN, tags copied)."""

    def __init__(self, real_client):
        self.real_client = real_client
        self.requests = []
        self.outcome = "succeeds"

    def __call__(self, params, **_):
        from botocore.awsrequest import AWSResponse

        request = json.loads(params["body"])
        self.requests.append(request)
        sagemaker = self.real_client("sagemaker")
        endpoint = sagemaker.describe_endpoint(EndpointName=request["EndpointName"])
        if self.outcome == "succeeds":
            tags = sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
            sagemaker.delete_endpoint(EndpointName=request["EndpointName"])
            sagemaker.create_endpoint(
                EndpointName=request["EndpointName"], EndpointConfigName=request["EndpointConfigName"], Tags=tags
            )
        return AWSResponse(None, 200, {}, None), {"EndpointArn": endpoint["EndpointArn"]}


@pytest.fixture(scope="session")
def update_endpoint_stand_in():
    """Every sagemaker client made during the session answers UpdateEndpoint with the stand-in."""
    import boto3

    real_client = boto3.client
    stand_in = UpdateEndpointStandIn(real_client)

    def client_with_stand_in(*args, **kwargs):
        client = real_client(*args, **kwargs)
        client.meta.events.register("before-call.sagemaker.UpdateEndpoint", stand_in)
        return client

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3, "client", client_with_stand_in)
        yield stand_in


@pytest.fixture
def update_endpoint(update_endpoint_stand_in):
    """The stand-in with no requests recorded yet, its updates succeeding."""
    update_endpoint_stand_in.requests.clear()
    update_endpoint_stand_in.outcome = "succeeds"
    return update_endpoint_stand_in

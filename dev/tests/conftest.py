import os

import boto3
import pytest


def _required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests through ./scripts/test, which starts the stack")
    return value


@pytest.fixture(scope="session")
def mlflow_url() -> str:
    return _required_env("MODEL_FACTORY_TEST_MLFLOW_URL")


@pytest.fixture(scope="session")
def sagemaker():
    return boto3.client(
        "sagemaker",
        endpoint_url=_required_env("MODEL_FACTORY_TEST_SAGEMAKER_ENDPOINT"),
        region_name="us-east-1",
        aws_access_key_id="model-factory-local",
        aws_secret_access_key="model-factory-local",
    )

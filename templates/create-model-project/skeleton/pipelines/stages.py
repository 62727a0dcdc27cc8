"""The release stages (staging, production): each one's endpoint, fleet, traffic shift, alarms and data capture.

Kept apart from settings.py because only the release reads it. Every value can be overridden by the environment
variable named beside it (STAGING_… or PRODUCTION_…). The alarm and role names must match what
infra/endpoint.yaml creates for the stage (the tests check both against each other).
"""

import os
from dataclasses import dataclass

from .${{ values.packageName }} import settings

STAGES = ("staging", "production")
# The variant name stays the same in every endpoint config: a blue/green update requires it.
VARIANT_NAME = "AllTraffic"
# Tags a successful release writes on the endpoint (besides settings' version and model name tags).
TAG_ENDPOINT_CONFIG = "model-factory.endpoint_config"
TAG_PREVIOUS_ENDPOINT_CONFIG = "model-factory.previous_endpoint_config"
# The package validate-endpoint passed on staging: production promotes only that one.
TAG_VALIDATED_PACKAGE = "model-factory.validated_package"


@dataclass(frozen=True)
class Stage:
    name: str
    endpoint_name: str
    instance_count: int
    min_capacity: int
    max_capacity: int
    # Application Auto Scaling target: invocations per instance per minute.
    invocations_per_instance: float
    # The blue/green TrafficRoutingConfiguration: CANARY or LINEAR, its step as a percentage of the fleet.
    traffic_shift: str
    traffic_step_percent: int
    wait_seconds: int
    capture_percent: int

    @property
    def alarm_names(self) -> list[str]:
        """The CloudWatch alarms infra/endpoint.yaml creates; any in ALARM rolls the update back."""
        return [f"{self.endpoint_name}-invocation-5xx", f"{self.endpoint_name}-model-latency"]

    @property
    def model_role_arn(self) -> str:
        """The role the endpoint's model runs as (infra/endpoint.yaml), not the pipeline's."""
        # The partition (aws, aws-cn, aws-us-gov) and account of the pipeline's role.
        _, partition, _, _, account = settings.PIPELINE_ROLE_ARN.split(":")[:5]
        default = f"arn:{partition}:iam::{account}:role/{self.endpoint_name}-model"
        return os.environ.get(self._key("MODEL_ROLE_ARN"), default)

    @property
    def data_capture_uri(self) -> str:
        return f"s3://{settings.ARTIFACT_BUCKET}/data-capture/{self.endpoint_name}"

    def _key(self, name: str) -> str:
        return f"{self.name.upper()}_{name}"


def _int(stage: str, name: str, default: int) -> int:
    return int(os.environ.get(f"{stage.upper()}_{name}", str(default)))


def stage(name: str, endpoint_name: str | None = None) -> Stage:
    """A stage's settings; with endpoint_name, for that endpoint (its alarms, role and capture follow its name)."""
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r}: one of {', '.join(STAGES)}")
    production = name == "production"
    default_endpoint = f"{settings.MODEL_NAME}-production" if production else settings.ENDPOINT_NAME
    return Stage(
        name=name,
        endpoint_name=endpoint_name or os.environ.get(f"{name.upper()}_ENDPOINT_NAME", default_endpoint),
        # Two instances: a canary or linear step of 50% is then one whole instance, and a fleet spans two zones.
        instance_count=_int(name, "INSTANCE_COUNT", 2),
        min_capacity=_int(name, "MIN_CAPACITY", 2),
        max_capacity=_int(name, "MAX_CAPACITY", 6 if production else 2),
        invocations_per_instance=float(os.environ.get(f"{name.upper()}_INVOCATIONS_PER_INSTANCE", "300")),
        traffic_shift=os.environ.get(f"{name.upper()}_TRAFFIC_SHIFT", "LINEAR" if production else "CANARY"),
        traffic_step_percent=_int(name, "TRAFFIC_STEP_PERCENT", 50),
        wait_seconds=_int(name, "TRAFFIC_WAIT_SECONDS", 600 if production else 300),
        capture_percent=_int(name, "CAPTURE_PERCENT", 100 if not production else 20),
    )

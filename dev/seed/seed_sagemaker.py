"""Creates the demo model's SageMaker objects in the emulator: pipeline, executions, model packages, endpoint."""
from __future__ import annotations

import json

from botocore.exceptions import ClientError

ROLE_ARN = "arn:aws:iam::123456789012:role/model-factory-demo-sagemaker"
IMAGE_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc:3.17.2"
ARTIFACT_BUCKET = "model-factory-demo-artifacts"


def _step(name: str, kind: str, depends: tuple[str, ...] = ()) -> dict:
    return {"Name": name, "Type": kind, "DependsOn": list(depends), "Arguments": {}}


def pipeline_definition(pipeline_name: str) -> str:
    """The shape SageMaker Pipelines stores: parameters, then preprocess → train → evaluate → gate → register."""
    return json.dumps(
        {
            "Version": "2020-12-01",
            "Metadata": {"pipeline": pipeline_name},
            "Parameters": [
                {"Name": "InputDataUrl", "Type": "String", "DefaultValue": f"s3://{ARTIFACT_BUCKET}/data/breast_cancer.csv"},
                {"Name": "GateMetric", "Type": "String", "DefaultValue": "accuracy"},
                {"Name": "GateThreshold", "Type": "Float", "DefaultValue": 0.93},
                {"Name": "RegularizationC", "Type": "Float", "DefaultValue": 1.0},
            ],
            "Steps": [
                _step("Preprocess", "Processing"),
                _step("Train", "Training", ("Preprocess",)),
                _step("Evaluate", "Processing", ("Train",)),
                _step("CheckMetricGate", "Condition", ("Evaluate",)),
                _step("RegisterModel", "RegisterModel", ("CheckMetricGate",)),
                _step("FailGate", "Fail", ("CheckMetricGate",)),
            ],
        }
    )


def _ignore_exists(call, *args, **kwargs):
    """Creates are re-runnable: an object that already exists is kept as it is."""
    try:
        return call(*args, **kwargs)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        message = error.response["Error"].get("Message", "")
        if code in ("ResourceInUse", "ValidationException") and "exist" in message.lower():
            return None
        raise


def create_pipeline_with_executions(sm, pipeline_name: str, regularization: list[float]) -> list[str]:
    _ignore_exists(
        sm.create_pipeline,
        PipelineName=pipeline_name,
        PipelineDisplayName=pipeline_name,
        PipelineDescription="Preprocess, train, evaluate, gate and register the demo model",
        PipelineDefinition=pipeline_definition(pipeline_name),
        RoleArn=ROLE_ARN,
        Tags=[{"Key": "model-factory:component", "Value": "component:default/demo-model"}],
    )
    arns = []
    for c in regularization:
        started = sm.start_pipeline_execution(
            PipelineName=pipeline_name,
            PipelineExecutionDisplayName=f"train-C{c}".replace(".", "-"),
            PipelineExecutionDescription=f"Scheduled retraining with C={c}",
            PipelineParameters=[{"Name": "RegularizationC", "Value": str(c)}],
        )
        arns.append(started["PipelineExecutionArn"])
    return arns


def create_model_packages(sm, group_name: str, versions: list[dict], model_name: str, champion: str) -> dict[str, str]:
    """One model package per MLflow version, cross-linked by metadata; the champion approved, the newest pending."""
    _ignore_exists(
        sm.create_model_package_group,
        ModelPackageGroupName=group_name,
        ModelPackageGroupDescription="Approved versions of the demo model",
    )
    newest = max(int(v["version"]) for v in versions)
    package_arns = {}
    for v in sorted(versions, key=lambda v: int(v["version"])):
        status = "Approved" if v["version"] == champion else ("PendingManualApproval" if int(v["version"]) == newest else "Rejected")
        created = sm.create_model_package(
            ModelPackageGroupName=group_name,
            ModelPackageDescription=f"MLflow {model_name} version {v['version']}",
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": IMAGE_URI, "ModelDataUrl": f"s3://{ARTIFACT_BUCKET}/models/{v['run_id']}/model.tar.gz"}],
                "SupportedContentTypes": ["application/json", "text/csv"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
            CustomerMetadataProperties={
                "mlflow.registered_model_name": model_name,
                "mlflow.model_version": str(v["version"]),
                "mlflow.run_id": v["run_id"],
            },
        )
        package_arns[v["version"]] = created["ModelPackageArn"]
    return package_arns


def create_endpoint(sm, endpoint_name: str, model_name: str, version: dict, package_arn: str) -> str:
    sm_model = f"{model_name}-v{version['version']}"
    _ignore_exists(
        sm.create_model,
        ModelName=sm_model,
        ExecutionRoleArn=ROLE_ARN,
        PrimaryContainer={"ModelPackageName": package_arn},
    )
    _ignore_exists(
        sm.create_endpoint_config,
        EndpointConfigName=sm_model,
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": sm_model, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}],
    )
    created = _ignore_exists(
        sm.create_endpoint,
        EndpointName=endpoint_name,
        EndpointConfigName=sm_model,
        Tags=[
            {"Key": "mlflow.registered_model_name", "Value": model_name},
            {"Key": "mlflow.model_version", "Value": str(version["version"])},
        ],
    )
    return created["EndpointArn"] if created else sm.describe_endpoint(EndpointName=endpoint_name)["EndpointArn"]

"""Lineage: what a model was built from, recorded on its MLflow run and copied onto its SageMaker model package.

CI knows the commit and the images it built; it sets them in its environment, the pipeline passes them into each
step's job (pipeline._step_environment) and Train tags the run with them. Register copies the run's lineage tags
into the package's metadata, so either registry answers "which commit, image, execution and data made this".
"""

import os
from urllib.parse import quote

from . import settings

# CodeBuild and GitHub Actions name the commit they build; GIT_SHA overrides both (and reaches the step jobs).
_COMMIT_VARIABLES = ("GIT_SHA", "CODEBUILD_RESOLVED_SOURCE_VERSION", "GITHUB_SHA")


def git_sha() -> str:
    """The commit CI is building, or "" outside CI."""
    return next((os.environ[name] for name in _COMMIT_VARIABLES if os.environ.get(name)), "")


def ci_build_url() -> str:
    """The page of the CI build running this (a GitHub Actions run, a CodeBuild build), or "" outside CI.

    CI_BUILD_URL overrides both, and is how the URL reaches the step jobs, which run outside CI."""
    if os.environ.get("CI_BUILD_URL"):
        return os.environ["CI_BUILD_URL"]
    if os.environ.get("GITHUB_RUN_ID") and os.environ.get("GITHUB_REPOSITORY"):
        server = os.environ.get("GITHUB_SERVER_URL") or "https://github.com"
        return f"{server}/{os.environ['GITHUB_REPOSITORY']}/actions/runs/{os.environ['GITHUB_RUN_ID']}"
    # arn:aws:codebuild:REGION:ACCOUNT:build/PROJECT:BUILD_ID
    parts = os.environ.get("CODEBUILD_BUILD_ARN", "").split(":", 5)
    if len(parts) == 6 and parts[5].startswith("build/"):
        region, account, build = parts[3], parts[4], parts[5][len("build/") :]
        project = build.split(":", 1)[0]
        return (
            f"https://{region}.console.aws.amazon.com/codesuite/codebuild/{account}/projects/{quote(project)}"
            f"/build/{quote(build, safe='')}/?region={region}"
        )
    return ""


def ci_environment() -> dict[str, str]:
    """What a step's job needs to record the lineage; images as CI pinned them (by digest)."""
    return {
        "GIT_SHA": git_sha(),
        "CI_BUILD_URL": ci_build_url(),
        "STEP_IMAGE_URI": settings.STEP_IMAGE_URI,
        "INFERENCE_IMAGE_URI": settings.INFERENCE_IMAGE_URI,
    }


def run_tags(execution_arn: str, training_data_uri: str) -> dict[str, str]:
    """The MLflow run's lineage tags; an unknown value (a local run has no execution) is left out, not blank."""
    tags = {
        settings.TAG_PIPELINE_EXECUTION_ARN: execution_arn,
        settings.TAG_GIT_SHA: git_sha(),
        # MLflow's own tag for the commit: its UI shows it on the run.
        "mlflow.source.git.commit": git_sha(),
        settings.TAG_STEP_IMAGE_URI: settings.STEP_IMAGE_URI,
        settings.TAG_INFERENCE_IMAGE_URI: settings.INFERENCE_IMAGE_URI,
        settings.TAG_TRAINING_DATA_URI: training_data_uri,
        settings.TAG_CI_BUILD_URL: ci_build_url(),
    }
    return {key: value for key, value in tags.items() if value}


def package_metadata(tags: dict[str, str]) -> dict[str, str]:
    """The lineage tags of a run, as model package metadata (same keys; SageMaker caps a value at 256 characters)."""
    keys = (
        settings.TAG_PIPELINE_EXECUTION_ARN,
        settings.TAG_GIT_SHA,
        settings.TAG_STEP_IMAGE_URI,
        settings.TAG_INFERENCE_IMAGE_URI,
        settings.TAG_TRAINING_DATA_URI,
        settings.TAG_CI_BUILD_URL,
    )
    return {key: tags[key][:256] for key in keys if tags.get(key)}

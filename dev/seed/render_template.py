"""Renders templates/create-model-project/skeleton into a directory, as the scaffolder's fetch:template would.

The local stack seeds its demo data by running the generated project's own code; this renders that project
without a running Backstage. The skeleton uses only what Jinja2 reads exactly as the scaffolder's Nunjucks
(nunjitsu) does: `${{ values.* }}`, `{% raw %}`, `{# #}`, `{% set %}`, `{% if a == b %}`, `~`, a string's
`.split(sep)[i]` and the filters replace, string and dump; the real scaffolder renders it in the template's own
tests (packages/backend/src/__integration__/templateRender.test.ts and templateInput.test.ts).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jinja2
import yaml

SKELETON = Path(__file__).resolve().parents[2] / "templates" / "create-model-project" / "skeleton"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        variable_start_string="${{", variable_end_string="}}", keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["dump"] = json.dumps  # Nunjucks' dump
    return env


def render(values: dict, target: Path) -> Path:
    env = _environment()
    # Nunjucks iterates an object's pairs with `for key, value in obj`; Jinja2 does so over a list of pairs.
    values = {**values, "annotations": list(values["annotations"].items())}
    if target.exists():
        shutil.rmtree(target)
    for source in SKELETON.rglob("*"):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        relative = env.from_string(str(source.relative_to(SKELETON))).render(values=values)
        if relative == "" or relative.startswith("/") or "//" in relative:
            continue  # a conditional file or directory whose name rendered empty, as fetch:template skips it
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(env.from_string(source.read_text()).render(values=values))
        shutil.copymode(source, destination)
    return target


def template_defaults() -> dict:
    """The defaults of the template's parameters (the role and bucket a new project starts with)."""
    template = yaml.safe_load((SKELETON.parent / "template.yaml").read_text())
    return {
        name: spec["default"]
        for page in template["spec"]["parameters"]
        for name, spec in page["properties"].items()
        if "default" in spec
    }


def demo_values(name: str, account: str, region: str, tracking_uri: str) -> dict:
    """The values the template computes from its parameters, for the demo model project."""
    return {
        "name": name,
        "description": "Breast cancer classifier of the demo model project",
        "owner": "group:default/ml-platform",
        "system": "",
        "entityRef": f"component:default/{name}",
        "packageName": name.replace("-", "_"),
        "pipelineName": f"{name}-pipeline",
        "modelPackageGroupName": name,
        "endpointName": f"{name}-staging",
        "experimentName": name,
        "registeredModelName": name,
        "trackingServer": "default",
        "trackingUri": tracking_uri,
        "accountId": account,
        "region": region,
        "roleArn": f"arn:aws:iam::{account}:role/{name}-pipeline",
        "artifactBucket": f"{name}-artifacts-{account}",
        "gateMetric": "accuracy",
        "gateThreshold": 0.93,
        "ciSystem": "codebuild",
        "annotations": {},
    }


if __name__ == "__main__":
    import sys
    out = render(demo_values(sys.argv[1], "123456789012", "us-east-1", os.environ.get("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")), Path(sys.argv[2]))
    print(out)

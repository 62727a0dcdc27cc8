"""The expressions of a SageMaker pipeline definition, evaluated as SageMaker Pipelines evaluates them.

`Get` (Parameters.*, Execution.*, Steps.<name>.<property path>), `Std:Join`, `Std:JsonGet` (an S3 URI or a
step's property file) and the condition types. See the definition reference:
docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps.html and the SageMaker Python SDK's
`sagemaker.core.workflow` (functions.py, conditions.py).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# A property path: `.Name`, `['key']`, `["key"]` or `[0]`.
_PATH_TOKEN = re.compile(r"\.?([A-Za-z0-9_\-]+)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*(\d+)\s*\]")
STEP_REFERENCE = re.compile(r"^Steps\.([^.\[]+)")


class ExpressionError(Exception):
    """An expression that cannot be evaluated; its message is the step's failure reason."""


@dataclass
class Scope:
    parameters: dict[str, Any]
    execution: dict[str, Any]
    # What each finished step exposes to `Get: Steps.<name>...`: its resolved arguments plus its job's outputs.
    step_properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Declared property files: step name -> property file name -> S3 URI of the JSON file.
    property_files: dict[str, dict[str, str]] = field(default_factory=dict)
    read_s3: Callable[[str], bytes] = lambda uri: b""


def evaluate(value: Any, scope: Scope) -> Any:
    """The value with every expression in it replaced by what it evaluates to."""
    if isinstance(value, list):
        return [evaluate(v, scope) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, spec), = value.items()
        if key == "Get":
            return _get(spec, scope)
        if key == "Std:Join":
            return spec.get("On", "").join(_text(evaluate(v, scope)) for v in spec.get("Values", []))
        if key == "Std:JsonGet":
            return _json_get(spec, scope)
    return {k: evaluate(v, scope) for k, v in value.items()}


def holds(condition: dict, scope: Scope) -> bool:
    """Whether one condition of a Condition step holds."""
    kind = condition.get("Type")
    if kind == "Not":
        return not holds(condition["Expression"], scope)
    if kind == "Or":
        return any(holds(c, scope) for c in condition.get("Conditions", []))
    if kind == "In":
        query = evaluate(condition.get("QueryValue"), scope)
        return any(_comparable(query, v) == _comparable(v, query) for v in evaluate(condition.get("Values", []), scope))
    comparisons = {
        "Equals": operator.eq,
        "GreaterThan": operator.gt,
        "GreaterThanOrEqualTo": operator.ge,
        "LessThan": operator.lt,
        "LessThanOrEqualTo": operator.le,
    }
    if kind not in comparisons:
        raise ExpressionError(f"Unsupported condition type {kind!r}")
    left, right = evaluate(condition.get("LeftValue"), scope), evaluate(condition.get("RightValue"), scope)
    try:
        return bool(comparisons[kind](_comparable(left, right), _comparable(right, left)))
    except TypeError as error:
        raise ExpressionError(f"Cannot compare {left!r} with {right!r}: {error}") from None


def referenced_steps(value: Any) -> set[str]:
    """The names of the steps whose properties an expression anywhere in value reads."""
    found: set[str] = set()
    if isinstance(value, list):
        for v in value:
            found |= referenced_steps(v)
    elif isinstance(value, dict):
        get = value.get("Get")
        if isinstance(get, str) and (match := STEP_REFERENCE.match(get)):
            found.add(match.group(1))
        for v in value.values():
            found |= referenced_steps(v)
    return found


def property_path(document: Any, path: str) -> Any:
    """The value at a JsonPath-like path (`a.b['c'][0]`); a key on a list picks the item it names."""
    current = document
    position = 0
    for match in _PATH_TOKEN.finditer(path):
        if match.start() != position:
            break
        position = match.end()
        name, quoted, double_quoted, index = match.groups()
        key = name if name is not None else quoted if quoted is not None else double_quoted
        if index is not None:
            current = _index(current, int(index), path)
        elif isinstance(current, list):
            current = _named_item(current, key, path)
        elif isinstance(current, dict) and key in current:
            current = current[key]
        else:
            raise ExpressionError(f"{path}: no {key!r} there")
    if position != len(path):
        raise ExpressionError(f"{path}: not a property path")
    return current


def _get(path: str, scope: Scope) -> Any:
    root, _, rest = path.partition(".")
    if root == "Parameters":
        if rest not in scope.parameters:
            raise ExpressionError(f"Parameter {rest!r} is not defined")
        return scope.parameters[rest]
    if root == "Execution":
        if rest not in scope.execution:
            raise ExpressionError(f"Execution variable {rest!r} is not supported")
        return scope.execution[rest]
    if root == "Steps":
        step, _, inner = rest.partition(".")
        if step not in scope.step_properties:
            raise ExpressionError(f"Step {step!r} has not run: its properties cannot be read")
        if inner.startswith("PropertyFiles."):
            return {"PropertyFileUri": _property_file_uri(step, inner.removeprefix("PropertyFiles."), scope)}
        return property_path(scope.step_properties[step], inner)
    raise ExpressionError(f"Cannot evaluate Get {path!r}")


def _json_get(spec: dict, scope: Scope) -> Any:
    if "PropertyFile" in spec:
        file = evaluate(spec["PropertyFile"], scope)
        uri = file["PropertyFileUri"] if isinstance(file, dict) else file
    else:
        uri = evaluate(spec["S3Uri"], scope)
    try:
        document = json.loads(scope.read_s3(uri))
    except ValueError as error:
        raise ExpressionError(f"Std:JsonGet: {uri} is not JSON: {error}") from None
    return property_path(document, evaluate(spec["Path"], scope))


def _property_file_uri(step: str, name: str, scope: Scope) -> str:
    files = scope.property_files.get(step, {})
    if name not in files:
        raise ExpressionError(f"Step {step!r} declares no property file {name!r}")
    return files[name]


def _index(current: Any, index: int, path: str) -> Any:
    if not isinstance(current, list) or index >= len(current):
        raise ExpressionError(f"{path}: no item {index}")
    return current[index]


def _named_item(items: list, key: str, path: str) -> Any:
    for item in items:
        if isinstance(item, dict) and key in (item.get("OutputName"), item.get("ChannelName"), item.get("Name")):
            return item
    raise ExpressionError(f"{path}: no item named {key!r}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _comparable(value: Any, other: Any) -> Any:
    """A string that holds a number compares as one when the other side is a number (parameters arrive as text)."""
    if isinstance(value, str) and isinstance(other, (int, float)) and not isinstance(other, bool):
        try:
            return float(value)
        except ValueError:
            return value
    return value

"""Trains the demo model on scikit-learn's bundled breast cancer data and logs it to MLflow.

Each run logs its params, metrics, the model and a small validation sample (features + true label); runs that
pass the metric gate are registered as versions of the registered model and the best gets the champion alias.
"""
from __future__ import annotations

from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow import MlflowClient
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

VALIDATION_SAMPLE_ROWS = 20
VALIDATION_SAMPLE_PATH = "validation/validation_sample.json"
# One weak setting on purpose: its accuracy stays under the gate, so it is logged but never registered.
REGULARIZATION_GRID = (0.0001, 1.0, 0.1, 0.01)


@dataclass
class TrainedRun:
    run_id: str
    model: mlflow.models.model.ModelInfo
    params: dict
    metrics: dict


def _load_splits(seed: int = 42):
    data = load_breast_cancer(as_frame=True)
    features = data.frame.drop(columns=["target"])
    return train_test_split(features, data.frame["target"], test_size=0.25, random_state=seed, stratify=data.frame["target"])


def train_run(experiment_id: str, c: float, tags: dict[str, str]) -> TrainedRun:
    x_train, x_val, y_train, y_val = _load_splits()
    params = {"model": "logistic_regression", "C": c, "max_iter": 1000, "scaler": "standard"}
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"logreg-C{c}", tags=tags) as run:
        model.fit(x_train, y_train)
        predicted = model.predict(x_val)
        metrics = {
            "accuracy": float(accuracy_score(y_val, predicted)),
            "f1": float(f1_score(y_val, predicted)),
            "roc_auc": float(roc_auc_score(y_val, model.predict_proba(x_val)[:, 1])),
        }
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        sample = x_val.head(VALIDATION_SAMPLE_ROWS)
        logged = mlflow.sklearn.log_model(model, name="model", input_example=sample.head(2))
        # The endpoint console and the Validate action send these rows and compare with the labels.
        mlflow.log_dict(
            {
                "columns": list(sample.columns),
                "data": sample.values.tolist(),
                "labels": y_val.head(VALIDATION_SAMPLE_ROWS).astype(int).tolist(),
                "label_column": "target",
            },
            VALIDATION_SAMPLE_PATH,
        )
    return TrainedRun(run.info.run_id, logged, params, metrics)


def ensure_experiment(client: MlflowClient, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    return client.create_experiment(name, tags={"model-factory.component": f"component:default/{name}"})


def train_and_register(
    client: MlflowClient,
    model_name: str,
    gate_metric: str,
    gate_threshold: float,
    execution_tags: list[dict[str, str]],
) -> list[dict]:
    """Trains one run per grid point (tagged with a pipeline execution), registers those passing the gate."""
    experiment_id = ensure_experiment(client, model_name)
    if not client.search_registered_models(filter_string=f"name = '{model_name}'"):
        client.create_registered_model(model_name, description="Breast cancer classifier of the demo model project")
    registered = []
    for c, tags in zip(REGULARIZATION_GRID, execution_tags):
        trained = train_run(experiment_id, c, tags)
        if trained.metrics[gate_metric] < gate_threshold:
            continue
        version = client.create_model_version(
            model_name,
            source=trained.model.model_uri,
            run_id=trained.run_id,
            model_id=trained.model.model_id,
            await_creation_for=0,  # the SQL store creates versions READY at once
            tags={"gate_metric": gate_metric, "gate_threshold": str(gate_threshold)},
            description=f"{gate_metric}={trained.metrics[gate_metric]:.4f}",
        )
        registered.append({"version": version.version, "run_id": trained.run_id, "metrics": trained.metrics})
    if len(registered) < 2:
        raise RuntimeError(f"expected at least two runs to pass the {gate_metric} >= {gate_threshold} gate")
    champion = max(registered, key=lambda v: (v["metrics"][gate_metric], int(v["version"])))
    client.set_registered_model_alias(model_name, "champion", champion["version"])
    return registered

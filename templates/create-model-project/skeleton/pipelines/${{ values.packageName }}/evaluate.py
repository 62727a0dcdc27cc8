"""Evaluate: score the trained model on the held-out split, log the metrics and the labelled validation sample."""

import mlflow
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from . import settings
from .preprocess import Splits, features_and_labels
from .train import TrainedModel


def evaluate(splits: Splits, trained: TrainedModel) -> dict[str, float]:
    mlflow.set_tracking_uri(settings.MLFLOW_TRACKING_URI)
    model = mlflow.sklearn.load_model(trained.model_uri)
    features, labels = features_and_labels(splits.test)
    predicted = model.predict(features)
    metrics = {
        "accuracy": float(accuracy_score(labels, predicted)),
        "f1": float(f1_score(labels, predicted)),
        "roc_auc": float(roc_auc_score(labels, model.predict_proba(features)[:, 1])),
    }
    sample_features, sample_labels = features_and_labels(splits.validation_sample)
    with mlflow.start_run(run_id=trained.run_id):
        mlflow.log_metrics(metrics, model_id=trained.model_id)
        mlflow.log_dict(
            {
                "columns": list(sample_features.columns),
                "data": sample_features.values.tolist(),
                "labels": sample_labels.tolist(),
            },
            settings.VALIDATION_SAMPLE_ARTIFACT,
        )
    return metrics


def passes_gate(
    metrics: dict[str, float], metric: str = settings.GATE_METRIC, threshold: float = settings.GATE_THRESHOLD
) -> bool:
    """The registration gate, the same in the pipeline's condition step and in the local runner."""
    if metric not in metrics:
        raise ValueError(f"gate metric {metric!r} is not one of the evaluated metrics {sorted(metrics)}")
    return metrics[metric] >= threshold

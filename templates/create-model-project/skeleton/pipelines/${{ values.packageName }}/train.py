"""Train: fit the model and log its parameters and the model itself to an MLflow run of this execution."""

from dataclasses import dataclass

import mlflow
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import lineage, settings
from .preprocess import Splits, features_and_labels


@dataclass
class TrainedModel:
    run_id: str
    model_uri: str
    model_id: str


def train(splits: Splits, regularization: float = 1.0, max_iter: int = 1000, execution_arn: str = "") -> TrainedModel:
    """Fits a scaled logistic regression in a run tagged with its lineage (lineage.py): the execution (so the portal
    shows the run with it), the commit, the images and the training data."""
    mlflow.set_tracking_uri(settings.MLFLOW_TRACKING_URI)
    mlflow.set_experiment(settings.MLFLOW_EXPERIMENT_NAME)
    features, labels = features_and_labels(splits.train)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=regularization, max_iter=max_iter))
    tags = lineage.run_tags(execution_arn=execution_arn, training_data_uri=splits.source)
    with mlflow.start_run(run_name=f"train-C{regularization:g}", tags=tags) as run:
        mlflow.log_params(
            {"model": "logistic_regression", "C": regularization, "max_iter": max_iter, "train_rows": len(features)}
        )
        model.fit(features, labels)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(features, model.predict(features)),
            input_example=features.head(3),
        )
    return TrainedModel(run_id=run.info.run_id, model_uri=info.model_uri, model_id=info.model_id)

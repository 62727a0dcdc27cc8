"""Preprocess: load the data set and split it into train, test and a small validation sample.

The template starts from scikit-learn's breast cancer data (it ships with the package, so the pipeline runs
anywhere); replace `load_dataset` with your own source and keep the return shape, and set DATA_URI to where it
reads from (the run and the model package record it as their training data).
"""

from dataclasses import dataclass

import pandas as pd
import sklearn
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

LABEL = "target"
# Where load_dataset reads: the bundled data is named by the scikit-learn release that ships it.
DATA_URI = f"sklearn://datasets/load_breast_cancer?version={sklearn.__version__}"


@dataclass
class Splits:
    train: pd.DataFrame
    test: pd.DataFrame
    # A few labelled rows logged with the model; the portal's "Validate" and validate-endpoint replay them.
    validation_sample: pd.DataFrame
    # Where the rows came from (DATA_URI): the lineage of every model trained on them.
    source: str = DATA_URI


def load_dataset() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame


def preprocess(test_size: float = 0.25, sample_size: int = 20, random_state: int = 42) -> Splits:
    data = load_dataset()
    train, test = train_test_split(data, test_size=test_size, random_state=random_state, stratify=data[LABEL])
    sample = test.sample(n=min(sample_size, len(test)), random_state=random_state)
    return Splits(
        train=train.reset_index(drop=True), test=test.reset_index(drop=True), validation_sample=sample, source=DATA_URI
    )


def features_and_labels(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return frame.drop(columns=[LABEL]), frame[LABEL]

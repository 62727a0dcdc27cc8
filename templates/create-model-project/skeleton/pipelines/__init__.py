"""The model-build pipeline of ${{ values.name }}: steps, pipeline definition and the entry points around it."""

import os

from .${{ values.packageName }} import settings

# The SageMaker SDK creates AWS clients as it is imported: give it this project's region when none is set.
os.environ.setdefault("AWS_DEFAULT_REGION", settings.AWS_REGION)

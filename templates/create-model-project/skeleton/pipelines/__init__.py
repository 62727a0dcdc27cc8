"""The model-build pipeline of ${{ values.name }}.

Its steps, the pipeline definition and the entry points around them.
"""

import os

from .${{ values.packageName }} import settings

# The SageMaker SDK creates AWS clients as it is imported: give it this project's region when none is set.
os.environ.setdefault("AWS_DEFAULT_REGION", settings.AWS_REGION)

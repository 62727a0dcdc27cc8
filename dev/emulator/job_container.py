"""A SageMaker training job's container for one @step, run by the emulator as a child process.

Runs the SageMaker Python SDK's own entry point (`invoke_function`, what the SDK's job driver runs in the
container) with the container's paths moved into the job directory: the SDK writes a failed step's reason to
/opt/ml/output/failure, which the emulator reads from SAGEMAKER_EMULATOR_JOB_DIR/output/failure instead.
"""

import os
import sys
from pathlib import Path

from sagemaker.core.remote_function import errors, invoke_function

if __name__ == "__main__":
    output = Path(os.environ["SAGEMAKER_EMULATOR_JOB_DIR"], "output")
    output.mkdir(parents=True, exist_ok=True)
    errors.FAILURE_REASON_PATH = str(output / "failure")
    invoke_function.main(sys.argv[1:])

"""A SageMaker training job's container for one @step, run by the emulator in a child process.

Runs the SageMaker Python SDK's own entry point (`invoke_function`, what the SDK's job driver runs in the
container) in the job's directory, with the job's environment, output to job.log, and the container's
/opt/ml/output/failure (where the SDK writes a failed step's reason) moved into the job directory.
The children are forked from a server that has already imported the SDK, MLflow and scikit-learn
(`JOBS` below): a job starts in a fraction of a second instead of paying those imports every time.
"""

import multiprocessing
import multiprocessing.connection
import os
import sys
import threading

# Imported once by the fork server; each job imports only its own workspace's code.
PRELOADED = ["sagemaker.core.remote_function.invoke_function", "mlflow", "sklearn.linear_model", "pandas"]


# multiprocessing reaps finished children from any thread's start() while another thread joins one: two readers of a
# child's exit status, and the loser records 255 for a job that succeeded. Every reap goes through this lock.
_REAPING = threading.Lock()


def start_job(container_args: list[str], workspace: str, env: dict[str, str], job_dir: str):
    """Starts one job's process; returns it (wait_job gives its exit code)."""
    process = JOBS.Process(target=_run, args=(container_args, workspace, env, job_dir), daemon=True)
    with _REAPING:
        process.start()
    return process


def wait_job(process, timeout: float | None = None) -> int | None:
    """The job's exit code once it has ended (None when it is still running after timeout)."""
    multiprocessing.connection.wait([process.sentinel], timeout)
    with _REAPING:
        process.join(0)
    return process.exitcode


def _run(container_args: list[str], workspace: str, env: dict[str, str], job_dir: str) -> None:
    os.setpgid(0, 0)  # its own process group: StopPipelineExecution stops the job and whatever it started
    log = os.open(os.path.join(job_dir, "job.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.chdir(workspace)
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, workspace)
    output = os.path.join(job_dir, "output")
    os.makedirs(output, exist_ok=True)
    from sagemaker.core.remote_function import errors, invoke_function

    errors.FAILURE_REASON_PATH = os.path.join(output, "failure")
    invoke_function.main(container_args)


def _fork_server() -> multiprocessing.context.BaseContext:
    # The SDK makes a boto3 client while it is imported: it needs a region then (each job sets its own).
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    return context


JOBS = _fork_server()

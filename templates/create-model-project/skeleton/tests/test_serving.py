"""A model package is served by the serving image's own command, from the package's model data, installing nothing.

The image is not built here (no docker in the tests): its ENTRYPOINT, read from the Dockerfile, runs in this Python
(which has requirements.txt installed, as the image has) on the package's ModelDataUrl unpacked as SageMaker
unpacks it into /opt/ml/model.
"""

import json
import socket
import subprocess
import tarfile
import time
import urllib.request
from pathlib import Path

import boto3

from pipelines.run_local import run_local

ROOT = Path(__file__).resolve().parents[1]


def serving_command(model_dir: Path, port: int) -> list[str]:
    [entrypoint] = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("ENTRYPOINT")]
    command = json.loads(entrypoint.removeprefix("ENTRYPOINT"))
    assert "--env-manager local" in command[2]  # serves with what the image has: no environment is created
    command[2] = command[2].replace("/opt/ml/model", str(model_dir)).replace("--port 8080", f"--port {port}")
    return [*command, "serve"]  # SageMaker starts the container with the argument "serve"


def test_the_serving_image_command_serves_a_package_without_installing(stack, tmp_path):
    registered = run_local(regularization=1.0, gate_threshold=0.5)["registered"]
    package = boto3.client("sagemaker").describe_model_package(ModelPackageName=registered["model_package_arn"])
    bucket, key = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"].removeprefix("s3://").split("/", 1)
    model_dir = tmp_path / "model"
    archive = tmp_path / "model.tar.gz"
    boto3.client("s3").download_file(bucket, key, str(archive))
    with tarfile.open(archive) as tar:
        tar.extractall(model_dir, filter="data")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    server = subprocess.Popen(serving_command(model_dir, port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read().decode()[-3000:]
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline, "the model server did not answer /ping within 120 s"
                time.sleep(0.5)
        # The request MLflow logged with the model: its input example, as the scoring protocol takes it.
        example = (model_dir / "serving_input_example.json").read_bytes()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations", data=example, headers={"Content-Type": "application/json"}
        )
        predictions = json.loads(urllib.request.urlopen(request, timeout=30).read())["predictions"]
        assert len(predictions) == len(json.loads(example)["dataframe_split"]["data"]) == 3
        assert set(predictions) <= {0, 1}
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "pip install" not in output and "Installing" not in output

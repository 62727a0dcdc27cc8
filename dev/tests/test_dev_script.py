"""scripts/dev refuses a busy port with a clear message and touches nothing."""
import os
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_busy_port_is_refused_with_a_clear_message_and_nothing_killed():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        started = time.monotonic()
        result = subprocess.run(
            [str(ROOT / "scripts" / "dev")],
            env={**os.environ, "MODEL_FACTORY_MLFLOW_PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert "port(s) already in use: " in result.stderr
        assert str(port) in result.stderr
        assert "nothing was started or stopped" in result.stderr
        # It checked before setting anything up or starting anything.
        assert time.monotonic() - started < 10
        assert "(pid " not in result.stderr
        # The holder still owns its port.
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    finally:
        holder.close()

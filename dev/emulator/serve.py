"""The local SageMaker emulator: moto's server with pipeline executions that run (pipelines_extension.py).

    python dev/emulator/serve.py -H 127.0.0.1 -p PORT [--jobs-dir DIR] [--max-parallel-jobs N]

Takes moto_server's options; --jobs-dir keeps each step's job directory and log (default: a temp dir);
--max-parallel-jobs bounds the step jobs running at once across executions (default 2: one per core here).
"""

import argparse
import atexit
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
# The emulator runs code from its own S3: no web page may drive it from a browser (moto allows any origin).
os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"

from moto import server

import pipelines_extension
from pipeline_runner import stop_all_jobs


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--jobs-dir", type=Path)
    parser.add_argument("--max-parallel-jobs", type=int, default=2)
    args, moto_args = parser.parse_known_args()
    pipelines_extension.install(f"http://{args.host}:{args.port}", args.jobs_dir, args.max_parallel_jobs)
    atexit.register(stop_all_jobs)  # moto exits on SIGTERM through sys.exit: the steps' processes go with it
    server.main(["-H", args.host, "-p", str(args.port), *moto_args])


if __name__ == "__main__":
    main()

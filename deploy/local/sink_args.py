"""The command line both demo sinks take (mail_catcher.py, sms_recorder.py): where to listen and keep."""
from __future__ import annotations

import argparse
from pathlib import Path


def parse(description: str) -> argparse.Namespace:
    """``--port`` (required), ``--dir`` (created if missing), ``--host`` (loopback by default)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    return args

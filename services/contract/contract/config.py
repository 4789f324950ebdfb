"""Config loading for scripts and CLIs, with nameko's ``${ENV_VAR:default}`` substitution."""
from __future__ import annotations

import yaml
from nameko.cli.main import setup_yaml_parser


def load_config(path: str) -> dict:
    """Read a service's config.yml the way ``nameko run --config`` does."""
    setup_yaml_parser()
    with open(path) as handle:
        return yaml.safe_load(handle) or {}

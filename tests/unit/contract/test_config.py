"""Every service's config.yml keeps codes and secrets as strings, whatever they look like.

nameko's ``${VAR:default}`` parses the substituted value as YAML, so ``LAPOR_HUB_CODE=5108``
became the int 5108 and every submission at a district hub failed (issue 14). The config files
mark such settings ``!raw_env_var``; these tests load them the way ``nameko run`` does.
"""
from pathlib import Path

import pytest

from contract.config import load_config
from contract.ids import new_tracking_id

SERVICES = Path(__file__).resolve().parents[3] / "services"
CONFIGS = sorted(SERVICES.glob("*/config.yml"))
RAW_SETTINGS = ("HUB_CODE", "OPEN311_API_KEYS", "SMTP_PASSWORD", "SMS_GATEWAY_PASSWORD", "SMS_GATEWAY_TOKEN",
                "SOCIAL_REPLY_TOKEN", "HUB_KEY_FILE")


def test_every_service_has_a_config():
    assert {p.parent.name for p in CONFIGS} == {"intake", "routing", "followup", "notification", "assessment"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("code", ["5108", "51", "0051", "ID", "1e3"])
def test_hub_code_stays_a_string(path, code, monkeypatch):
    monkeypatch.setenv("LAPOR_HUB_CODE", code)
    config = load_config(str(path))
    assert config["HUB_CODE"] == code
    if code.isalnum() and code.upper() == code:
        assert new_tracking_id(config["HUB_CODE"]).startswith(f"{code}-")


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.parent.name)
def test_hub_code_defaults_to_the_national_hub(path, monkeypatch):
    monkeypatch.delenv("LAPOR_HUB_CODE", raising=False)
    assert load_config(str(path))["HUB_CODE"] == "ID"


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.parent.name)
def test_secrets_and_codes_are_raw(path, monkeypatch):
    """A numeric-looking password, token or key must not turn into a number either."""
    text = path.read_text()
    for line in text.splitlines():
        key = line.split(":", 1)[0]
        if key in RAW_SETTINGS:
            assert "!raw_env_var" in line, f"{path}: {key} must be !raw_env_var"
    monkeypatch.setenv("SMTP_PASSWORD", "123456")
    monkeypatch.setenv("INTAKE_OPEN311_API_KEYS", "000123")
    config = load_config(str(path))
    for key in ("SMTP_PASSWORD", "OPEN311_API_KEYS"):
        if key in config:
            assert isinstance(config[key], str)

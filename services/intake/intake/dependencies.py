"""Intake's dependency providers: the store (``IntakeStore``: one unit of work per use case, its
repositories in ``intake.repositories`` and ``intake.hub_store``, its settings parsed once) and the
channel gateways."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, IndexModel

from contract import hubwire, registry_names
from contract.routes import path_template
from contract.unitstore import UnitOfWorkProvider
from contract.loop import WakeableLoop
from intake import duplicates, evidence, gateways, privacy
from intake.handlers.privacy import SWEEP_BATCH, anything_past_retention, erase_expired
from intake.hub_link import Link
from intake.hub_store import DELIVERY_INDEX, HubReports
from intake.privacy_store import INDEXES as PRIVACY_INDEXES, RETENTION_INDEX, Privacy
from intake.repositories import (HISTORY, HISTORY_INDEX, PUBLIC_INDEX, SENDER_INDEX, ApiKeys,
                                 RateLimits, Registry, Reports)

log = logging.getLogger(__name__)
DEFAULT_COMPLETION_URL = f"http://127.0.0.1:8780{path_template('receipt')}?kode=<code>"


def completion_url(config) -> str:
    """A social draft's completion link: ``SOCIAL_COMPLETION_URL``, else on the stack's front door
    (``PUBLIC_BASE_URL``, the address routing's links use too), else the local default."""
    if config.get("SOCIAL_COMPLETION_URL"):
        return str(config["SOCIAL_COMPLETION_URL"])
    base = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}{path_template('receipt')}?kode=<code>" if base else DEFAULT_COMPLETION_URL


def _listed(value) -> tuple[str, ...]:
    return tuple(s.strip() for s in str(value or "").split(",") if s.strip())


@dataclass(frozen=True)
class Settings:
    """Intake's config, parsed once when the service starts (handlers read it as ``uow.settings``)."""

    hub_code: str = "ID"
    rate_limit_window: int = 3600
    rate_limit_max: int = 20
    rate_limit_exempt: frozenset = frozenset()
    gateway_rate_limit_max: int = 2000
    channel_rate_limit_max: int = 5000
    duplicate_window_hours: float = duplicates.DEFAULT_WINDOW_HOURS
    duplicate_similarity: float = duplicates.DEFAULT_THRESHOLD
    evidence_max_files: int = evidence.MAX_PER_REPORT
    trusted_proxies: str = "127.0.0.1,::1"
    open311_api_keys: tuple[str, ...] = ()
    social_completion_url: str = DEFAULT_COMPLETION_URL
    open311_contact: str = "LAPOR! (SP4N-LAPOR!), https://www.lapor.go.id"
    hub_ack_timeout: float = 300.0  # a forwarded report not acknowledged by the next hub after this is counted
    personal_data_retention_days: int = privacy.DEFAULT_RETENTION_DAYS  # after closure (intake.privacy)
    personal_data_sweep_seconds: float = 3600.0

    @classmethod
    def from_config(cls, config: dict) -> "Settings":
        return cls(
            hub_code=str(config.get("HUB_CODE") or "ID"),
            rate_limit_window=int(config.get("RATE_LIMIT_WINDOW_SECONDS", 3600)),
            rate_limit_max=int(config.get("RATE_LIMIT_MAX", 20)),
            rate_limit_exempt=frozenset(_listed(config.get("RATE_LIMIT_EXEMPT", ""))),
            gateway_rate_limit_max=int(config.get("GATEWAY_RATE_LIMIT_MAX", 2000)),
            channel_rate_limit_max=int(config.get("CHANNEL_RATE_LIMIT_MAX", 5000)),
            duplicate_window_hours=float(config.get("DUPLICATE_WINDOW_HOURS", duplicates.DEFAULT_WINDOW_HOURS)),
            duplicate_similarity=float(config.get("DUPLICATE_SIMILARITY", duplicates.DEFAULT_THRESHOLD)),
            evidence_max_files=int(config.get("EVIDENCE_MAX_FILES", evidence.MAX_PER_REPORT)),
            trusted_proxies=str(config.get("TRUSTED_PROXIES", "127.0.0.1,::1")),
            open311_api_keys=_listed(config.get("OPEN311_API_KEYS")),
            social_completion_url=completion_url(config),
            open311_contact=str(config.get("OPEN311_CONTACT") or cls.open311_contact),
            hub_ack_timeout=float(config.get("HUB_ACK_TIMEOUT_SECONDS", 300)),
            personal_data_retention_days=privacy.retention_days(
                config.get("PERSONAL_DATA_RETENTION_DAYS", privacy.DEFAULT_RETENTION_DAYS)),
            personal_data_sweep_seconds=privacy.sweep_seconds(config.get("PERSONAL_DATA_SWEEP_SECONDS", 3600)))


REPOSITORIES = {"reports": Reports, "registry": Registry, "limits": RateLimits, "api_keys": ApiKeys,
                "hubs": HubReports, "names": registry_names.NamesCopy, "privacy": Privacy}


def registry_file(config: dict) -> Path | None:
    """REGISTRY_FILE, else the demo region of a local checkout (LAPOR_ROOT), else none."""
    configured = config.get("REGISTRY_FILE") or ""
    if configured:
        return Path(configured)
    root = os.environ.get("LAPOR_ROOT")
    return Path(root) / "deploy" / "demo" / "region.yml" if root else None


def load_registry_file(uow, path: Path) -> dict | None:
    """Load the bootstrap registry file unless routing has sent its registry (a unit of work)."""
    if uow.registry.source() == "routing":
        log.info("intake: keeping the registry copy routing sent; %s not loaded", path)
        return None
    from intake.schemas import RegistryCopyIn  # schemas import nothing of this module
    with open(path) as handle:
        raw = yaml.safe_load(handle) or {}
    loaded = RegistryCopyIn().load(raw)
    registry_names.load_names_file(uow, raw)  # the names pages and Open311 show
    return uow.registry.replace(loaded["regions"], loaded["categories"], hubs=loaded["hubs"])


class IntakeStore(UnitOfWorkProvider):
    """Intake's store: reports and what belongs to them; submissions share transactions (group commit)."""

    repositories = REPOSITORIES
    group_commit = True
    indexes = {
        "reports": [IndexModel([("reporter_ref", ASCENDING)], unique=True),
                    IndexModel([("status", ASCENDING), ("received_at", ASCENDING)]),
                    IndexModel(PUBLIC_INDEX), IndexModel(SENDER_INDEX),
                    IndexModel(DELIVERY_INDEX), IndexModel(RETENTION_INDEX)],
        "rate_limits": [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)],
        HISTORY: [IndexModel(HISTORY_INDEX)],
        **PRIVACY_INDEXES,
    }

    @staticmethod
    def parse_settings(config: dict) -> Settings:
        return Settings.from_config(config)

    def setup(self):
        super().setup()
        config = self.container.config
        # the hub link (this hub's key, the neighbours' queues declared) is the process's, shared by units
        self.shared["hub_link"] = Link(config[AMQP_URI_CONFIG_KEY], config.get("HUB_KEY_FILE") or "",
                                     config.get("HUB_SIGNING_KEY_FILE") or "",
                                     int(config.get("HUB_MESSAGE_VERSION") or hubwire.SCHEMA_VERSION))
        path = registry_file(config)
        if path is not None and path.exists():
            counts = self.units().run(load_registry_file, path)
            if counts:
                log.info("intake: registry copy loaded from %s: %s", path, counts)
        self.privacy_sweep = WakeableLoop("intake.personal_data_sweep", self.sweep_once,
                                          self.settings.personal_data_sweep_seconds)

    # -- the retention sweep (intake.handlers.privacy.erase_expired), watched by contract.progress
    def start(self):
        super().start()
        self.privacy_sweep.start(self.container)

    def stop(self):
        self.privacy_sweep.stop()
        super().stop()

    def kill(self):
        self.privacy_sweep.stop()
        super().kill()

    def sweep_once(self) -> bool:
        """One batch of reports past their retention erased; True when more may be due."""
        units = self.units()
        return units.read(anything_past_retention) and units.run(erase_expired, SWEEP_BATCH) >= SWEEP_BATCH


class ChannelGateways(DependencyProvider):
    """``gateway(channel, request)``: the authenticated channel gateway of a request, or None
    (``CHANNEL_GATEWAYS``, read once at setup; see intake.gateways)."""

    def setup(self):
        self.gateways = gateways.parse(self.container.config.get("CHANNEL_GATEWAYS"))

    def get_dependency(self, worker_ctx):
        return self

    def gateway(self, channel: str, request) -> str | None:
        return gateways.authenticate(self.gateways.get(channel, {}), request.headers, request.get_data(cache=True))

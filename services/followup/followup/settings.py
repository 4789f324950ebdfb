"""Follow-up's settings, parsed once from config.yml (``CaseStore.parse_settings``; handlers read
them as ``uow.settings``), and turning domain refusals into contract errors."""
from __future__ import annotations

from dataclasses import dataclass, field

from contract import errors, i18n
from contract.auth import forbidden
from followup.conversation import Conflict
from followup.indicator import Escalation, Rules

TEXTS = i18n.of_service("followup")  # error texts: ``api.case.*`` (contract.i18n)


@dataclass(frozen=True)
class Settings:
    hub: str = "ID"
    rules: Rules = field(default_factory=Rules)
    cuti_bersama: bool = True          # official cuti bersama days from the holidays package
    sweep_batch: int = 500             # cases claimed per unit of work of the sweep
    gauge_interval: float = 60.0       # seconds between refreshes of the open-case gauges
    intake_timeout: float = 5.0        # seconds to wait for intake's RPC answers (pages, secrets)
    policy_file: str = ""              # SLA policies seeded once into the store


def parse(config: dict) -> Settings:
    return Settings(hub=config.get("HUB_CODE") or "ID", rules=rules_from_config(config),
                    cuti_bersama=str(config.get("CUTI_BERSAMA_FROM_PACKAGE", "true")).lower() != "false",
                    sweep_batch=int(config.get("SWEEP_BATCH", 500)),
                    gauge_interval=float(config.get("GAUGE_REFRESH_SECONDS", 60)),
                    intake_timeout=float(config.get("INTAKE_RPC_TIMEOUT", 5)),
                    policy_file=str(config.get("SLA_POLICY_FILE") or ""))


def rules_from_config(config: dict) -> Rules:
    """Indicator and closure rules; ``ESCALATION_LEVELS`` is ``role:working_days,...``."""
    share = config.get("INDICATOR_YELLOW_SHARE")
    levels = str(config.get("ESCALATION_LEVELS") or "agency_admin:0,supervisor:2")
    escalations = tuple(Escalation(i, role.strip(), int(days))
                        for i, (role, days) in enumerate((item.split(":") for item in levels.split(",")), start=1))
    return Rules(yellow_working_days=int(config.get("INDICATOR_YELLOW_WORKING_DAYS", 1)),
                 yellow_share=float(share) if share not in (None, "", "none") else None,
                 escalations=escalations,
                 reopen_window_working_days=int(config.get("REOPEN_WINDOW_WORKING_DAYS", 10)),
                 auto_close_working_days=int(config.get("AUTO_CLOSE_WORKING_DAYS", 10)))


def case_not_found() -> errors.ApiError:
    return errors.not_found("tracking_id", "Case")


def invalid_tracking_id() -> errors.ApiError:
    return errors.ApiError([errors.translated("tracking_id", "invalid", TEXTS, "api.case.invalid_tracking_id")])


def conflict(exc: Conflict) -> errors.ApiError:
    return errors.ApiError([exc.item], status=409)


def out_of_scope() -> errors.ApiError:
    return forbidden("acting on a case your unit or agency does not hold")


def wrong_secret() -> errors.ApiError:
    return errors.ApiError([errors.translated("secret", "invalid_secret", TEXTS, "api.case.secret_mismatch")],
                           status=403)

"""Follow-up's settings from config.yml, and turning domain refusals into contract errors."""
from __future__ import annotations

from contract import errors
from contract.auth import forbidden
from followup.conversation import Conflict
from followup.indicator import Escalation, Rules


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


def conflict(exc: Conflict) -> errors.ApiError:
    return errors.ApiError([errors.error(exc.field, exc.code, exc.en, exc.id_)], status=409)


def out_of_scope() -> errors.ApiError:
    return forbidden("acting on a case your unit or agency does not hold")


def wrong_secret() -> errors.ApiError:
    return errors.ApiError([errors.error("secret", "invalid_secret", "The tracking ID and secret do not match.",
                                         "ID pelacakan dan kode rahasia tidak cocok.")], status=403)

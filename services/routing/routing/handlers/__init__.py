"""Routing's use cases: plain functions of a unit of work (``uow.registry``, ``uow.desk``,
``uow.accounts``, ``uow.settings``), called by the entrypoints in ``routing.service`` through the
store (``self.store.run(handlers.act, ...)``) and by the event table (``(uow, event_type, event)``)."""
from routing.handlers.accounts import (  # noqa: F401
    account_audit_by, end_sessions_by, issue_password_link, issue_password_link_by, lift_signin_limit,
    lift_signin_limit_by, set_password, sign_in, sign_out, usable_link)
from routing.handlers.admin import (  # noqa: F401
    admin_listing, agency_audit, audit_page, in_scope, invite_official, save_item, switch_official)
from routing.handlers.hubjoin import invite as invite_hub, join as join_hub, refusal as join_refusal  # noqa: F401
from routing.handlers.hubparts import apply_hub_part, publish_own_parts  # noqa: F401
from routing.handlers.registry import (  # noqa: F401
    counts, export_registry, import_registry, issue_token, issue_token_by, listing, managed_official, recipients,
    revoke_tokens, revoke_tokens_by, unit)
from routing.handlers.workflow import (  # noqa: F401
    act, disposition, follow_case, forward, handed_back, history, inbox, names, open_per_queue, readable, report,
    report_by_id, report_page, route_report)

"""The RPC surface's table: every method a service answers over RPC, and which services may call it.

RPC permission is per method, not per service (issue 20): the broker lets a service's user
publish a call on ``nameko-rpc`` only with the routing keys (``<service>.<method>``) listed here
for it (``contract.brokeracl`` generates the topic permissions from this table), so one
compromised or buggy service is not every anonymous reporter (``intake.reporter_contact``). A
method with no caller is the operator's alone (CLIs, ``deploy/local/cli.sh``, tests), never a
service's. Officials' credentials (tokens, password links) are not RPC at all: only routing's admin
HTTP API (an admin, audited) and the operator's CLI (``routing.cli``) issue or revoke them.

``tests/unit/contract/test_rpc_surface.py`` checks the table against the ``@rpc`` methods the
services define; ``tests/integration/test_broker_permissions.py`` proves on the real broker that
every service is refused every method it is not listed for.

A module of plain data, apart from ``contract.rpc`` (nameko's proxies and entrypoint): the broker's
permissions are applied from it by a script that imports neither nameko nor eventlet.
"""
from __future__ import annotations

# contract.auth: every service that checks officials' tokens or sessions asks routing
AUTH_CLIENTS = ("intake", "routing", "followup", "notification", "assessment")

# "<service>.<method>" -> the services that may call it
METHODS: dict[str, tuple[str, ...]] = {
    # intake
    "intake.verify_reporter": ("followup", "assessment"),  # contract.auth.reporter_verified
    "intake.page_view": ("followup",),                      # the citizen's tracking page, owner side
    "intake.tracking_page_elsewhere": ("followup",),        # a report forwarded to another hub
    "intake.relay_reporter_action": ("followup",),          # issue 19: the reporter's action, to the holder hub
    "intake.reporter_contact": ("notification",),           # a reporter's contact, one notification
    "intake.reporter_contacts": ("notification",),          # the courier's claimed batch
    "intake.completion_link": ("notification",),            # a social draft's one-time link, by DM only
    "intake.get_report": (),
    "intake.load_registry": (),
    "intake.issue_open311_key": (),
    "intake.revoke_open311_keys": (),
    "intake.health": (),
    # routing
    "routing.authenticate": AUTH_CLIENTS,
    "routing.authenticate_session": AUTH_CLIENTS,
    # officials of an agency/unit to notify: the one reply to a service with officials' contacts
    # (PERSONAL_DATA); names travel with ``registry_updated`` (contract.registry_names), not RPC
    "routing.recipients": ("notification",),
    "routing.disposition": ("notification",),
    "routing.unit": (),
    "routing.history": (),
    "routing.import_registry": (),
    "routing.health": (),
    # followup
    "followup.case_for_report": (),
    "followup.summary": (),
    "followup.sweep": (),
    "followup.sla_policies": (),
    "followup.set_sla_policies": (),
    "followup.add_day_off": (),
    "followup.health": (),
    # notification
    "notification.for_report": ("intake",),  # a data-subject export (intake.privacy) lists what was sent
    "notification.dead_letters": (),
    "notification.health": (),
    # assessment
    "assessment.counts": (),
    "assessment.kpis": (),
    "assessment.public_stats": (),
    "assessment.health": (),
}

# the replies that carry officials' personal data (e-mail addresses, phone numbers), and the only
# services that may have them: notification, which sends the messages (tests/unit/routing/test_rpc_replies.py)
PERSONAL_DATA: dict[str, tuple[str, ...]] = {"routing.recipients": ("notification",)}


def callable_by(service: str) -> list[str]:
    """The RPC methods (``<service>.<method>``) ``service`` may call, sorted."""
    return sorted(method for method, callers in METHODS.items() if service in callers)


def targets_of(service: str) -> set[str]:
    """The services ``service`` calls over RPC."""
    return {method.split(".")[0] for method in callable_by(service)}

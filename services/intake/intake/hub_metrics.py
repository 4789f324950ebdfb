"""Intake's metrics for the hub network (names in docs/hubs.md, for the alert rules)."""
from __future__ import annotations

from datetime import datetime

from contract.metrics import never_fails
from prometheus_client import Counter, Gauge

SENT = Counter("lapor_intake_hub_messages_sent_total",
               "Hub messages confirmed by this hub's broker for a neighbour, by kind (transfer, status).",
               ["neighbour", "kind"])
RECEIVED = Counter("lapor_intake_hub_messages_received_total",
                   "Hub messages consumed from lapor.hubs.in, by the last hop, kind and outcome "
                   "(accepted, duplicate, relayed, applied, refused, dead_lettered).",
                   ["neighbour", "kind", "outcome"])
FORWARDED = Counter("lapor_intake_hub_reports_forwarded_total",
                    "Reports forwarded out to / in from a neighbour hub.", ["direction", "neighbour"])
BACKLOG = Gauge("lapor_intake_hub_outbound_backlog",
                "Hub messages staged in intake's outbox for a neighbour, not yet confirmed by the broker.",
                ["neighbour"])
UNDELIVERED = Gauge("lapor_intake_hub_undelivered_reports",
                    "Reports sent from this hub and not yet accepted by their owner hub.", ["hub"])
OLDEST_UNDELIVERED = Gauge("lapor_intake_hub_oldest_undelivered_age_seconds",
                           "Age of the oldest report sent from this hub and not yet accepted by its owner (0: none).")
UNACKNOWLEDGED = Gauge("lapor_hub_forwards_unacknowledged",
                       "Reports forwarded from this hub that no hub acknowledged (accepted or sent back) "
                       "within HUB_ACK_TIMEOUT_SECONDS.")
HANDED_BACK = Counter("lapor_intake_hub_reports_handed_back_total",
                      "Reports this hub sent to another hub that are back in its triage, by why "
                      "(undeliverable: could not be sent; refused: answered back by a hub on the way).", ["reason"])


@never_fails
def handed_back(reason: str) -> None:
    HANDED_BACK.labels(reason).inc()


@never_fails
def unacknowledged(count: int) -> None:
    UNACKNOWLEDGED.set(count)


@never_fails
def sent(neighbour: str, kind: str) -> None:
    SENT.labels(neighbour, kind).inc()


@never_fails
def received(neighbour: str, kind: str, outcome: str) -> None:
    RECEIVED.labels(neighbour, kind, outcome).inc()


@never_fails
def forwarded(direction: str, neighbour: str) -> None:
    FORWARDED.labels(direction, neighbour).inc()


@never_fails
def gauges(backlog: dict[str, int], neighbours: list[str], undelivered: dict[str, int], known_hubs: list[str],
           oldest: datetime | None, now: datetime) -> None:
    for neighbour in set(neighbours) | set(backlog):
        BACKLOG.labels(neighbour).set(backlog.get(neighbour, 0))
    for hub in set(known_hubs) | set(undelivered):
        UNDELIVERED.labels(hub).set(undelivered.get(hub, 0))
    OLDEST_UNDELIVERED.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)

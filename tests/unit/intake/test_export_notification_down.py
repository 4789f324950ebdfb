"""intake's data-subject export asks notification what it sent (``entrypoints.notifications_of``,
through ``contract.rpc.call_within``): notification not answering or failing is a 503 (the export is
complete or not given), its failure logged as an error; intake's own bug is not hidden as a 503."""
from __future__ import annotations

import pytest
from nameko.exceptions import RemoteError, UnknownService

from contract.errors import ApiError
from contract.rpc import TypedProxy
from intake.entrypoints import notifications_of

from .test_privacy_entrypoints import Notification

TRACKING_ID = "5108-K7M4X-9XQ2B"


@pytest.mark.parametrize("notification, level", [
    (Notification(error=UnknownService("notification")), "WARNING"),
    (Notification(error=RemoteError("ServerSelectionTimeoutError", "no store")), "ERROR"),
    (Notification(answer=[{"notification_id": 7}]), "ERROR"),  # a reply the contract refuses
])
def test_notification_not_answering_or_failing_is_503_logged_by_what_happened(notification, level, caplog):
    with pytest.raises(ApiError) as raised:
        notifications_of(TypedProxy(notification, "notification"), TRACKING_ID)
    assert raised.value.status == 503 and notification.asked == [TRACKING_ID]
    assert [r.levelname for r in caplog.records] == [level] and "notification" in caplog.text


def test_intakes_own_bug_is_not_answered_as_notification_being_down():
    with pytest.raises(ZeroDivisionError):
        notifications_of(Notification(error=ZeroDivisionError()), TRACKING_ID)
    assert notifications_of(TypedProxy(Notification(answer=[]), "notification"), TRACKING_ID) == []

"""Notification's part of the public OpenAPI document (read by deploy/local/openapi.py): every
HTTP endpoint behind the front door and the schemas it names."""
from __future__ import annotations

from contract.ids import TRACKING_ID_PATTERN
from contract.rpcschemas import NotificationOut
from contract.routes import openapi_path, path_parameter
from notification.schemas import (DeadLetterQuery, DigestsOut, NotificationList, PreferenceIn, PreferenceOut,
                                  RECIPIENT_REF_PATTERN, RetriedOut, RetryAllIn, SubscriptionCreated,
                                  SubscriptionIn, SubscriptionList, SubscriptionOut)


def _op(summary: str, ok: str, ok_status: str = "200", body: str | None = None, params: list | None = None) -> dict:
    op = {"summary": summary, "security": [{"bearerAuth": []}], "responses": {
        ok_status: {"description": "OK", **({"content": {"application/json": {"schema": ok}}} if ok else {})},
        "400": {"$ref": "#/components/responses/BadRequest"},
        "401": {"description": "No valid official token"}, "403": {"description": "Role not allowed"}}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _path(name: str, description: str) -> dict:
    return path_parameter(name, description=description)


OPENAPI_SCHEMAS = {"Notification": NotificationOut, "NotificationList": NotificationList, "Retried": RetriedOut,
                   "RetryAll": RetryAllIn, "SubscriptionIn": SubscriptionIn, "Subscription": SubscriptionOut,
                   "SubscriptionCreated": SubscriptionCreated, "SubscriptionList": SubscriptionList,
                   "PreferenceIn": PreferenceIn, "Preference": PreferenceOut, "Digests": DigestsOut}
OPENAPI_PATHS = {
    openapi_path("api_dead_letters"): {"get": _op(
        "Dead-lettered notifications, newest first (national_admin).", "NotificationList",
        params=[{"in": "query", "schema": DeadLetterQuery}])},  # the schema that loads them
    openapi_path("api_dead_letters_retry"): {"post": _op(
        "Retry every matching dead letter (national_admin).", "Retried", body="RetryAll")},
    openapi_path("api_dead_letter_retry"): {"post": {**_op(
        "Retry one dead letter with a fresh round of attempts (national_admin).", "Notification",
        params=[_path("notification_id", "ntf_...")]), "responses": {
        "200": {"description": "Queued again", "content": {"application/json": {"schema": "Notification"}}},
        "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}}}},
    openapi_path("api_report_notifications"): {"get": _op(
        "Every notification of a report and its delivery state (officials).", "NotificationList",
        params=[{**_path("tracking_id", "tracking ID"), "schema": {"type": "string", "pattern": TRACKING_ID_PATTERN}}])},
    openapi_path("api_subscriptions"): {
        "get": _op("Active webhook subscriptions (national_admin).", "SubscriptionList"),
        "post": _op("Subscribe a system to events; the secret is shown once (national_admin).",
                    "SubscriptionCreated", "201", body="SubscriptionIn")},
    openapi_path("api_subscription"): {"delete": _op(
        "Unsubscribe (national_admin).", None, "204", params=[_path("subscription_id", "sub_...")])},
    openapi_path("api_preferences"): {"put": _op(
        "Daily digest on/off for an official recipient (national_admin, or an official for their own scope).",
        "Preference", body="PreferenceIn", params=[{**_path("recipient_ref", "unit:CODE, agency:CODE, hub:CODE, "
                                                                  "supervisor:CODE or official:ID"),
                                                    "schema": {"type": "string", "pattern": RECIPIENT_REF_PATTERN}}])},
    openapi_path("api_digests"): {"post": _op(
        "Send the held daily digests now (national_admin).", "Digests")},
}

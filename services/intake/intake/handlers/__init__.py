"""Intake's use cases: plain functions of ``(uow, message)`` (events: ``(uow, event_type, event)``),
one per command, query and event; ``intake.service`` calls them through the store (``run``,
``read``, ``together``) and its event table points at them."""
from intake.handlers.acceptance import accept_report, complete_report, import_report, reporter_draft
from intake.handlers.channels import accept_manual, accept_open311, accept_sms, accept_social, completion_link
from intake.handlers.evidence import add_evidence, add_evidence_files, evidence_file, evidence_page, list_evidence
from intake.handlers.hubs import (HUB_EFFECTS, declare_links, receive_hub_message, refresh_gauges, send_transfer,
                                  tell_origin)
from intake.handlers.hub_relay import relay_action
from intake.handlers.hub_registry import publish_hub_part, receive_publication
from intake.handlers.open311 import (check_api_key, issue_key, list_keys, request as open311_request,
                                     requests as open311_requests, revoke_keys, revoke_keys_of_known_client,
                                     service_definition as open311_service_definition,
                                     services as open311_services, token as open311_token)
from intake.handlers.pages import form_registry, page_report, public_list, receipt
from intake.handlers.privacy import erase_expired, erase_on_request, export_personal_data, exportable
from intake.handlers.tracking import (load_registry, page_view, record_step, registry_updated, report_count,
                                      report_view, reporter_contact, reporter_contacts, track_report,
                                      tracking_page_elsewhere, verify_reporter)

__all__ = [
    "accept_report", "complete_report", "import_report", "reporter_draft", "accept_manual", "accept_open311", "accept_sms", "accept_social",
    "completion_link",
    "add_evidence", "add_evidence_files", "evidence_file", "evidence_page", "list_evidence",
    "HUB_EFFECTS", "declare_links", "receive_hub_message", "refresh_gauges", "send_transfer", "tell_origin", "relay_action",
    "publish_hub_part", "receive_publication",
    "check_api_key", "issue_key", "list_keys", "open311_request", "open311_requests", "revoke_keys",
    "revoke_keys_of_known_client", "open311_service_definition", "open311_services", "open311_token",
    "form_registry", "page_report", "public_list", "receipt",
    "erase_expired", "erase_on_request", "export_personal_data", "exportable",
    "load_registry", "page_view", "record_step", "registry_updated", "report_count", "report_view",
    "reporter_contact", "reporter_contacts", "track_report", "tracking_page_elsewhere", "verify_reporter",
]

"""Follow-up's use cases, plain functions of ``(uow, message)`` (events: ``(uow, event_type,
event)``) run by the entrypoints through the store (``self.store.run(handlers.answer, command)``)."""
from followup.handlers.admin import add_day_off, days_off, save_sla_policy, set_sla_policies, sla_policies
from followup.handlers.common import canonical, find_case
from followup.handlers.conversation import (DISCUSSION_CLOSED, REPORTER_ACTIONS, answer, hide_comment,
                                            post_comment, post_update, rate, reopen, reporter_reply)
from followup.handlers.events import record_facts, workflow_event
from followup.handlers.queries import (case_for_report, case_view, comments, dashboard, inbox, messages,
                                       official_case_page, open_cases, public_page, readable_case, summary,
                                       tracking_page)
from followup.handlers.sweep import claim_due, refresh_open_gauges, sweep

__all__ = ["add_day_off", "answer", "canonical", "case_for_report", "case_view", "claim_due", "comments",
           "dashboard", "days_off", "DISCUSSION_CLOSED", "find_case", "hide_comment", "inbox", "messages",
           "official_case_page", "open_cases", "post_comment", "post_update", "public_page", "rate",
           "readable_case", "record_facts", "refresh_open_gauges", "reopen", "REPORTER_ACTIONS",
           "reporter_reply", "save_sla_policy", "set_sla_policies", "sla_policies", "summary", "sweep", "tracking_page",
           "workflow_event"]

"""Assessment's use cases: plain functions of ``(uow, message)`` (events: ``(uow, event_type, event)``),
run by the entrypoints of ``assessment.service`` through the store (``self.store.run/read``).

- ``events``: the consumed events folded into report facts and the KPI journal; the compactor.
- ``statistics``: KPI queries, monitoring reports, public statistics, the exact counters.
- ``assessments``: questionnaire templates, self-assessments and priorities, strategic targets.
- ``surveys``: the satisfaction survey's templates, responses and results.
"""
from assessment.handlers.assessments import (add_template, decide_priorities, self_assessment,  # noqa: F401
                                             self_assessment_history, set_target, submit_self_assessment, target,
                                             template, templates)
from assessment.handlers.events import fold_event, fold_journal, health, journal_pending, pending_journal  # noqa: F401
from assessment.handlers.statistics import (counts, kpis, monitoring_report, period_scope, public_stats,  # noqa: F401
                                            require_agency, statistics_page)
from assessment.handlers.surveys import (add_survey_template, agency_survey, hub_survey,  # noqa: F401
                                         record_online_response, record_paper_response, survey_template,
                                         survey_templates, verify_reporter)

"""Routing's rules as plain functions: rule matching, the registry, the tiered workflow."""
from routing.domain.registry import (  # noqa: F401
    COLLECTIONS, active, key_of, may_manage_official, new_token, principal_for, recipients_query, registry_problems,
    registry_updated_fields, rule_tie_problems)
from routing.domain.rules import (  # noqa: F401
    RuleIndex, best_rule, check_rule_ties, decide, dispositioned_event, forwarded_event, hub_for, matches, outcome,
    region_chain, specificity)
from routing.domain.decision import route  # noqa: F401,E402

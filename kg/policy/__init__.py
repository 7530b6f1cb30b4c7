"""ODRL 2.2 policy evaluation down the governance tiers, with explanations.

``Evaluator`` decides one request over an rdflib Graph; ``StoreSource`` fetches the slice of
a store one request needs; ``PolicyEngine`` ties a source to the evaluator;
``find_conflicts`` is the static conflict report (same tier and across tiers).
"""

from kg.policy.conflicts import ConflictReport, Finding, find_conflicts, load_governance
from kg.policy.evaluator import Decision, Evaluator
from kg.policy.request import Request, build_request, request_from_json
from kg.policy.source import GraphSource, PolicyEngine, StoreSource
from kg.policy.tiers import EffectivePolicy, effective_policy

__all__ = [
    "ConflictReport", "Decision", "EffectivePolicy", "Evaluator", "Finding", "GraphSource",
    "PolicyEngine", "Request", "StoreSource", "build_request", "effective_policy",
    "find_conflicts", "load_governance", "request_from_json",
]

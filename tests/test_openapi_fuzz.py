"""Schemathesis against /openapi.json: generated requests never get a 5xx.

Bounded: a few examples per operation, no shrinking, run in-process (ASGI). Requests carry
the admin token so that writes reach validation instead of stopping at 401.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from kg.services.examples import TURTLE  # noqa: E402
from tests.rest_support import ADMIN, app_for, ecosystem_store  # noqa: E402

# Bodies for the RDF and SPARQL media types: real examples (so writes reach the write path
# and validation) mixed with arbitrary text.
_text = st.text(max_size=200).map(str.encode)
schemathesis.openapi.media_type(
    "text/turtle", st.one_of(st.sampled_from([t.encode() for t in TURTLE.values()]), _text),
    aliases=["application/n-triples", "application/rdf+xml"])
schemathesis.openapi.media_type("application/sparql-query", st.one_of(st.sampled_from([
    b"SELECT * WHERE { ?s ?p ?o } LIMIT 3", b"ASK { ?s a ?t }",
    b"CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5"]), _text))
schemathesis.openapi.media_type("application/sparql-update", _text)

schema = schemathesis.openapi.from_asgi("/openapi.json", app_for(ecosystem_store()))


@schema.parametrize()
@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case) -> None:  # type: ignore[no-untyped-def]
    response = case.call(headers=ADMIN)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: "
        f"{response.text[:500]}\n{case.as_curl_command()}")

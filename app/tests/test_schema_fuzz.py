"""OpenAPI-driven property tests (Schemathesis): every operation of the service's own schema,
with bodies generated from it, valid and invalid.

- Invalid bodies (negative mode) get a 4xx; a 422 carries field errors whose ``loc`` names the
  field at fault (``["body", <field>, ...]``; a body that is not an object is named ``["body"]``).
- Nothing, valid or not, gets a 5xx; valid bodies get an answer the schema documents (status,
  content type, response schema), so the schema the docs publish is the one the service keeps.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ai_navigator.app import create_app
from ai_navigator.settings import Settings

# Small limits, so generated bodies reach them: the schema states these (openapi.py).
APP = create_app(Settings(release="fuzz", instance_name="fuzz:1", max_body_bytes=4096, max_query_chars=200))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# Invalid bodies only (the schema's own examples are valid): fuzzing and the coverage phase, which
# negates each field and each constraint in turn.
negative = schemathesis.openapi.from_asgi("/openapi.json", APP)
negative.config.generation.update(modes=[GenerationMode.NEGATIVE])
negative.config.phases.examples.enabled = False
# A fixed seed per run (derandomize) keeps CI reproducible; the examples below cover every field.
EXAMPLES = settings(max_examples=60, derandomize=True, deadline=None,
                    suppress_health_check=list(HealthCheck))
BODY_FIELDS = {name: set(s.get("properties", {})) for name, s in
               APP.openapi()["components"]["schemas"].items()}


def _fields_of(case: Any) -> set[str]:
    body = case.operation.definition.raw.get("requestBody", {})
    ref = body.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    return BODY_FIELDS.get(ref.rsplit("/", 1)[-1], set())


def _assert_names_the_field(case: Any, response: Any) -> None:
    assert 400 <= response.status_code < 500, (case.body, response.status_code, response.text)
    answer = response.json()
    if response.status_code == 415:  # the body was not sent as JSON: the header is what is wrong
        assert answer["errors"][0]["loc"] == ["header", "content-type"], answer
        return
    if response.status_code != 422:
        return  # 413 (too large), 405/404 (a probe of the request's shape): no field to name
    errors = answer.get("errors")
    if errors is None:  # the domain could not answer a body the schema accepts: its message says why
        assert answer["detail"], answer
        return
    assert errors, answer
    allowed = _fields_of(case) | (set(case.body) if isinstance(case.body, dict) else set())
    for error in errors:
        loc = error["loc"]
        assert loc[0] == "body" and error["msg"], error
        if isinstance(case.body, dict) and len(loc) > 1:
            assert loc[1] in allowed, (loc, allowed)
    if isinstance(case.body, dict):
        assert any(len(e["loc"]) > 1 for e in errors) or case.body == {} or not _fields_of(case), errors


@negative.include(method="POST").parametrize()
@EXAMPLES
def test_bad_bodies_get_4xx_naming_the_field(case: schemathesis.Case) -> None:
    assert case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE
    response = case.call()
    assert response.status_code < 500, (case.body, response.text)
    _assert_names_the_field(case, response)


@schema.parametrize()
@EXAMPLES
def test_no_input_gets_5xx_and_answers_match_the_schema(case: schemathesis.Case) -> None:
    # A valid body may still be unanswerable (a sentence without a destination): 422 with a
    # message is a documented answer, so acceptance of every valid body is not required.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])

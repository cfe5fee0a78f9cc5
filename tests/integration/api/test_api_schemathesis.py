"""Acceptance 2: schemathesis against the generated OpenAPI document, bounded to fit CI.

Every operation gets a few generated requests (valid and not, derandomized) with an
integration-admin token, against the real server; none may answer 5xx, and every answer must
match the schema the document gives for its status code. The operations are driven one by one
with hypothesis (schemathesis's pytest fixture plugin does not run on this pytest).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.integration.api.site import start_site, stop_site

EXAMPLES_PER_OPERATION = 6


def test_no_operation_errors_or_breaks_its_schema(tmp_path: Path) -> None:
    site = start_site(tmp_path)
    try:
        schema = schemathesis.openapi.from_url(f"{site.base_url}/schema/openapi.json")
        headers = site.headers("integration-admin")
        failures: list[str] = []
        operations = 0
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), (
                f"the document has an operation schemathesis cannot read: {result}"
            )
            operation = result.ok()
            operations += 1

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def exercise(case: schemathesis.Case[Any]) -> None:
                case.call_and_validate(
                    headers=headers,
                    checks=[not_a_server_error, response_schema_conformance],
                    timeout=30,
                )

            try:
                exercise()
            except Exception as exc:  # every operation is tried; all failures are reported
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
        assert operations >= 25
        assert not failures, "\n\n".join(failures)
    finally:
        stop_site(site)

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families


def test_prometheus_parses_the_metrics(scratch_http: requests.Session) -> None:
    page = scratch_http.get("/metrics")
    assert page.status_code == 200
    families = {family.name for family in text_string_to_metric_families(page.text)}
    assert {"python_info", "python_gc_objects_collected"} <= families

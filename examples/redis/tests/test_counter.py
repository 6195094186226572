"""The counter API's image against a real Redis: counted through the image, read back from outside."""

from __future__ import annotations

import redis
import requests

from pytest_scratchimage import ScratchContainer, ScratchImage, assert_no_shell, assert_runs_as


def test_a_visit_counted_through_the_image_is_a_key_in_redis(scratch_http: requests.Session, redis_url: str) -> None:
    first = scratch_http.post("/visits/home").json()["visits"]
    assert scratch_http.post("/visits/home").json() == {"page": "home", "visits": first + 1}
    assert int(redis.Redis.from_url(redis_url).get("visits:home") or 0) == first + 1


def test_a_count_set_from_outside_is_read_through_the_image(scratch_http: requests.Session, redis_url: str) -> None:
    redis.Redis.from_url(redis_url).set("visits:about", 41)
    assert scratch_http.post("/visits/about").json() == {"page": "about", "visits": 42}


def test_the_health_route_names_the_server(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/health").json()["status"] == "ok"


def test_hardened_and_shell_less_on_the_hosts_network(
    scratch_image: ScratchImage, scratch_container: ScratchContainer
) -> None:
    assert_runs_as(scratch_container, 65535)
    assert_no_shell(scratch_image, scratch_container)

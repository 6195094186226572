"""Radicale's image, probed over HTTP as it ships: its web client and CalDAV."""

from __future__ import annotations

import uuid

import requests

from pytest_scratchimage import ScratchContainer, ScratchImage, assert_no_shell, assert_runs_as

EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//pytest-scratchimage//EN
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20261128T090000Z
DTSTART:20261201T090000Z
SUMMARY:ship the tested image
END:VEVENT
END:VCALENDAR
"""


def test_the_web_client_and_its_scripts_are_served(scratch_http: requests.Session) -> None:
    page = scratch_http.get("/.web/")
    assert page.status_code == 200
    assert "Radicale" in page.text
    assert scratch_http.get("/.web/js/main.js").status_code == 200
    assert scratch_http.get("/.web/css/main.css").headers["Content-Type"].startswith("text/css")


def test_a_calendar_takes_an_event_and_gives_it_back(scratch_http: requests.Session) -> None:
    user = f"/u{uuid.uuid4().hex[:8]}/"
    calendar = f"{user}work/"
    assert scratch_http.request("MKCOL", user).status_code == 201
    assert scratch_http.request("MKCALENDAR", calendar).status_code == 201
    uid = uuid.uuid4().hex
    headers = {"Content-Type": "text/calendar"}
    put = scratch_http.put(f"{calendar}{uid}.ics", data=EVENT.format(uid=uid), headers=headers)
    assert put.status_code == 201
    event = scratch_http.get(f"{calendar}{uid}.ics")
    assert event.status_code == 200
    assert "SUMMARY:ship the tested image" in event.text
    listing = scratch_http.request("PROPFIND", calendar, headers={"Depth": "1"})
    assert listing.status_code == 207
    assert f"{uid}.ics" in listing.text


def test_hardened_and_shell_less(scratch_image: ScratchImage, scratch_container: ScratchContainer) -> None:
    assert_runs_as(scratch_container, 65535)
    assert_no_shell(scratch_image, scratch_container)

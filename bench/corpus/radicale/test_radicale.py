"""CalDAV against the image: a calendar made, an event put, found again by a calendar-query REPORT."""

from __future__ import annotations

import uuid

import requests

EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//pytest-scratchimage corpus//EN
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20261128T090000Z
DTSTART:20261201T090000Z
SUMMARY:ship the tested image
END:VEVENT
END:VCALENDAR
"""
QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>
</C:calendar-query>
"""


def test_an_event_is_found_by_a_calendar_query(scratch_http: requests.Session) -> None:
    calendar = f"/u{uuid.uuid4().hex[:8]}/work/"
    assert scratch_http.request("MKCOL", calendar.rsplit("work/", 1)[0]).status_code == 201
    assert scratch_http.request("MKCALENDAR", calendar).status_code == 201
    uid = uuid.uuid4().hex
    event = EVENT.format(uid=uid)
    put = scratch_http.put(f"{calendar}{uid}.ics", data=event, headers={"Content-Type": "text/calendar"})
    assert put.status_code == 201
    found = scratch_http.request("REPORT", calendar, data=QUERY, headers={"Depth": "1", "Content-Type": "text/xml"})
    assert found.status_code == 207
    assert "SUMMARY:ship the tested image" in found.text

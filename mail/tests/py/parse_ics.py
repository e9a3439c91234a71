"""Parse .ics files with the independent `icalendar` package (PyPI; Debian python3-icalendar)
and print, as one JSON list, the fields balie-mail's tests check: METHOD and per VEVENT the
UID, SEQUENCE, DTSTAMP/DTSTART/DTEND (ISO 8601, UTC), STATUS, texts, ORGANIZER and ATTENDEE."""
import json
import sys

import icalendar


def iso(component, name):
    if name not in component:
        return None
    value = component.decoded(name)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def address(component, name):
    value = component.get(name)
    if value is None:
        return None
    return {"value": str(value), "cn": str(value.params.get("CN", "")), "params": dict(value.params)}


def text(component, name):
    value = component.get(name)
    return None if value is None else str(value)


def main(paths):
    result = []
    for path in paths:
        with open(path, "rb") as f:
            cal = icalendar.Calendar.from_ical(f.read())
        events = []
        for ev in cal.walk("VEVENT"):
            events.append({
                "uid": text(ev, "UID"),
                "sequence": int(ev.get("SEQUENCE")) if "SEQUENCE" in ev else None,
                "dtstamp": iso(ev, "DTSTAMP"),
                "dtstart": iso(ev, "DTSTART"),
                "dtend": iso(ev, "DTEND"),
                "status": text(ev, "STATUS"),
                "summary": text(ev, "SUMMARY"),
                "description": text(ev, "DESCRIPTION"),
                "location": text(ev, "LOCATION"),
                "url": text(ev, "URL"),
                "organizer": address(ev, "ORGANIZER"),
                "attendee": address(ev, "ATTENDEE"),
                # icalendar >= 5 records properties it could not parse instead of raising.
                "errors": [list(map(str, e)) for e in getattr(ev, "errors", [])],
            })
        result.append({
            "path": path,
            "method": text(cal, "METHOD"),
            "version": text(cal, "VERSION"),
            "prodid": text(cal, "PRODID"),
            "errors": [list(map(str, e)) for e in getattr(cal, "errors", [])],
            "events": events,
        })
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])

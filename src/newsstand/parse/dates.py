"""Dates as feeds write them: RFC 822 and its broken variants, ISO 8601, the numeric forms
of Chinese sites, asctime and Java's Date.toString(), epoch seconds; feedparser's parsers
last."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from feedparser.datetimes import _parse_date as _feedparser_parse_date

_MONTHS = {  # English, and the abbreviations of Portuguese, Spanish, French and German feeds
    name: number
    for number, names in enumerate(
        ("jan ene janv", "feb fev fév févr", "mar mär mrz mars", "apr abr avr", "may mai",
         "jun juin", "jul juil", "aug ago aoû août", "sep set sept", "oct out okt", "nov",
         "dec dic dez déc"),
        1,
    )
    for name in names.split()
}  # fmt: skip
_ZONES = {  # minutes east of UTC
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "est": -300, "edt": -240, "cst": -360,
    "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420, "bst": 60,
    "cet": 60, "cest": 120, "met": 60, "mest": 120, "eet": 120, "eest": 180,
    "msk": 180, "ist": 330, "hkt": 480, "sgt": 480, "awst": 480, "jst": 540,
    "kst": 540, "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780,
}  # fmt: skip
_ZONE_TOKEN = re.compile(r"([A-Za-z]*)\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?")
_TZ = r"(?P<tz>Z|[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5}(?:\s*[+-]\d{1,2}(?::?\d{2})?)?)"
_TIME = (
    r"(?P<H>\d{1,2})\s*[:时時点點]\s*(?P<M>\d{1,2})"
    r"(?:\s*[:分]\s*(?P<S>\d{1,2})(?:[.,]\d+)?\s*秒?)?\s*分?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?"
)
_DATE_FORMATS = (
    # RFC 822 and its broken variants: "Thu, 01 Apr 2021 00:12:07 GMT", "1 April 2021 8:12"
    re.compile(
        r"(?:[^\W\d_]+\.?\s*,?\s*)?"
        r"(?:(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s-]*(?P<m>[^\W\d_]{3,9})\.?"
        r"|(?P<m2>[^\W\d_]{3,9})\.?\s*(?P<d2>\d{1,2})(?:st|nd|rd|th)?)"
        r"[\s,-]+(?P<y>\d{4}|\d{2})"
        rf"(?:[\sT,]+{_TIME})?\s*{_TZ}?\s*(?:\([^)]*\))?$"
    ),
    # ISO 8601 / W3CDTF, and the numeric forms of Chinese sites: "2021年04月01日 08:12"
    re.compile(
        r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
        rf"(?:[T\s]*(?P<cn>上午|下午)?\s*{_TIME})?\s*{_TZ}?\s*(?:\([^)]*\))?$"
    ),
    # ISO 8601 basic format: "20210401T081207Z"
    re.compile(
        r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})T(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?(?:[.,]\d+)?"
        rf"\s*{_TZ}?$"
    ),
    # asctime and Java's Date.toString(): "Thu Apr 01 08:12:07 CST 2021"
    re.compile(
        r"[A-Za-z]{3,9},?\s+(?P<m>[A-Za-z]{3,9})\s+(?P<d>\d{1,2})\s+"
        rf"{_TIME}\s+(?:{_TZ}\s+)?(?P<y>\d{{4}})$"
    ),
)
_JAVA_FORMAT = _DATE_FORMATS[-1]
_EPOCH = re.compile(r"\d{10}(?:\d{3})?$")
# What nearly every RSS feed writes (RSSHub included), read without the general patterns.
_RFC822_CANONICAL = re.compile(
    r"[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (GMT|[+-]\d{4})$"
)


def parse_date(value: str | None, default_tz: tzinfo = UTC) -> datetime | None:
    """An aware UTC datetime from a feed's date string, or None when it cannot be read.

    Dates that name no zone are taken to be in ``default_tz``.
    """
    if not value:
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    canonical = _RFC822_CANONICAL.match(text)
    if canonical:
        day, month, year, hour, minute, second, zone = canonical.groups()
        number = _MONTHS.get(month.lower())
        if number is not None:
            offset = (
                0
                if zone == "GMT"
                else (int(zone[1:3]) * 60 + int(zone[3:])) * (-1 if zone[0] == "-" else 1)
            )
            try:
                moment = datetime(int(year), number, int(day), int(hour), int(minute),
                                  min(int(second), 59), tzinfo=UTC)  # fmt: skip
                return moment - timedelta(minutes=offset)
            except (ValueError, OverflowError):
                pass
    if _EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, UTC)
    for pattern in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            found = _date_from_match(match, default_tz, java=pattern is _JAVA_FORMAT)
            if found is not None:
                return found
    return _feedparser_date(text)


def _date_from_match(match: re.Match[str], default_tz: tzinfo, *, java: bool) -> datetime | None:
    groups = match.groupdict()
    month_text = groups.get("m2") or groups["m"]
    day = groups.get("d2") or groups["d"]
    if month_text.isdigit():
        month = int(month_text)
    else:
        lowered = month_text.lower()
        found_month = _MONTHS.get(lowered[:4]) or _MONTHS.get(lowered[:3])
        if found_month is None:
            return None
        month = found_month
    year = int(groups["y"])
    if len(groups["y"]) == 2:
        year += 2000 if year < 50 else 1900
    hour = int(groups["H"] or 0)
    ampm = (groups.get("ampm") or "").lower()[:1]
    if (ampm == "p" or groups.get("cn") == "下午") and hour < 12:
        hour += 12
    elif ampm == "a" and hour == 12:
        hour = 0
    zone_text = groups.get("tz")
    if java and zone_text == "CST":  # Java's toString() on servers in China
        zone_text = "+0800"
    zone = _zone(zone_text, default_tz)
    if zone is None:
        return None
    try:
        moment = datetime(
            year, month, int(day), hour, int(groups["M"] or 0), min(int(groups["S"] or 0), 59),
            tzinfo=zone,
        )  # fmt: skip
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _zone(token: str | None, default_tz: tzinfo) -> tzinfo | None:
    if not token:
        return default_tz
    match = _ZONE_TOKEN.fullmatch(token.strip())
    if match is None:
        return None
    name, sign, hours, minutes = match.groups()
    offset = 0
    if name:
        known = _ZONES.get(name.lower())
        if known is None:
            return None
        offset = known
    if sign:
        delta = int(hours) * 60 + int(minutes or 0)
        offset += delta if sign == "+" else -delta
    if abs(offset) >= 24 * 60:
        return None
    return UTC if offset == 0 else timezone(timedelta(minutes=offset))


def _feedparser_date(text: str) -> datetime | None:
    try:
        parsed = _feedparser_parse_date(text)
        if not parsed:
            return None
        year, month, day, hour, minute, second = parsed[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except Exception:  # the third-party registry: any failure means "unreadable"
        return None

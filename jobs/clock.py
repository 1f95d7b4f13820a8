"""The daemon's clock is Beijing time, whatever the server's local zone (docs/DOMAIN.md)."""

import datetime as dt
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_now() -> dt.datetime:
    return dt.datetime.now(BEIJING)

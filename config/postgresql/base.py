"""Django's PostgreSQL backend, reading ``timestamptz`` values with psycopg's own
loader (docs/performance.md, "Per row, as little as can be").

Django reads every ``timestamptz`` through a loader of its own that subclasses
psycopg's pure-Python one, to set the value's time zone: psycopg's compiled loader
(``psycopg[binary]``) cannot be subclassed, so Django's never uses it (Django ticket
36960, psycopg issue 1273). That cost about 4 µs for each timestamp read: a list row
with one (when a referral was sent, when it was accepted) read 11.3 µs a row more,
7.3 without it. This backend's loader asks psycopg for its compiled loader, through
the public ``AdaptersMap.get_loader``, lets it read the value, then sets the time zone
as Django's does: the same values, at the compiled loader's speed. Without the
compiled loader (pure-Python psycopg) it is Django's reading.

``DATABASE_URL=postgres://...`` selects it (``config/settings/base.py``).
"""

from __future__ import annotations

import functools

from django.db.backends.postgresql import base
from psycopg import adapt, adapters
from psycopg.pq import Format

_TIMESTAMPTZ = adapters.types["timestamptz"].oid
# The loader psycopg itself uses: the compiled one where psycopg[binary] is installed.
_PSYCOPG_LOADER = adapters.get_loader(_TIMESTAMPTZ, Format.TEXT)


@functools.cache
def _loader_in(timezone) -> type[adapt.Loader]:
    class TimestamptzLoader(adapt.Loader):
        # Django's create_cursor compares this with the connection's time zone, and
        # registers its own loader on the cursor only when they differ.
        timezone = None

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._load = _PSYCOPG_LOADER(oid, context).load

        def load(self, data):
            return self._load(data).replace(tzinfo=self.timezone)

    TimestamptzLoader.timezone = timezone
    return TimestamptzLoader


@functools.cache
def _adapters_with_loader(template, timezone) -> adapt.AdaptersMap:
    """Django's adapters for this time zone, with the loader above for timestamptz."""
    context = adapt.AdaptersMap(template)
    context.register_loader("timestamptz", _loader_in(timezone))
    return context


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        template = params.get("context")
        if template is not None:
            params["context"] = _adapters_with_loader(template, self.timezone)
        return params

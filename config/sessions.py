"""Django's database sessions, read and written with less Python on every page
(docs/performance.md, "Statements written once").

Every signed-in page reads its session and, on the way out, saves it again (the
last-seen stamp). Django builds the SQL of both anew each time; here the read's SQL is
written once (``config.prepared.Prepared``) and the save of an existing session is one
UPDATE written once too (``config.writes.update_by_pk``), without a model object or a
savepoint. The rows, the expiry rule and the errors are Django's: an expired session
reads as none, and a session deleted meanwhile (signed out elsewhere) still ends the
request with Django's "session was deleted" answer."""

from __future__ import annotations

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import router
from django.utils import timezone

from config.prepared import Prepared
from config.writes import update_by_pk

_read = Prepared(
    lambda key: Session.objects.filter(session_key=key).values_list("session_data", "expire_date"),
    kinds=(str,),
)


class SessionStore(DatabaseSessionStore):
    def load(self):
        rows = _read(self.session_key) if self.session_key else []
        if not rows or rows[0][1] <= timezone.now():
            self._session_key = None
            return {}
        return self.decode(rows[0][0])

    def save(self, must_create=False):
        if must_create or self.session_key is None:
            return super().save(must_create=must_create)
        data = self._get_session(no_load=False)
        updated = update_by_pk(
            Session,
            self.session_key,
            using=router.db_for_write(Session),
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )
        if not updated:
            raise UpdateError

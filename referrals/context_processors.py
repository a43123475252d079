"""What every page needs: the service's name, the navigation for this user's roles,
and the unread notification count (one query for both facts it reads)."""

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Subquery

from accounts.models import User
from config.prepared import Prepared
from referrals.models import Notification
from referrals.navigation import navigation_for
from referrals.selectors import own_support


def _facts_query(user_id):
    own = own_support(OuterRef("pk"))
    unread = (
        Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return User.objects.filter(pk=user_id).order_by().values_list(Exists(own), Subquery(unread))


# Every page asks it: its SQL is written once (config/prepared.py).
_facts_read = Prepared(_facts_query)


def _facts(user) -> tuple[bool, int]:
    """Whether the person has support of their own, and their unread notices."""
    rows = _facts_read(user.pk)
    return (bool(rows[0][0]), rows[0][1] or 0) if rows else (False, 0)


def cirs(request):
    user = getattr(request, "user", None)
    context = {
        "service_name": settings.CIRS_SERVICE_NAME,
        "nav_items": [],
        "unread_count": 0,
        "session_idle_seconds": settings.SESSION_IDLE_SECONDS,
    }
    if user is not None and user.is_authenticated:
        has_own_support, unread = _facts(user)
        context["nav_items"] = navigation_for(user, has_own_support=has_own_support)
        context["unread_count"] = unread
    return context

"""What every page needs: the service's name, the navigation for this user's roles,
and the unread notification count (one indexed query)."""

from django.conf import settings

from referrals.navigation import navigation_for


def cirs(request):
    user = getattr(request, "user", None)
    context = {
        "service_name": settings.CIRS_SERVICE_NAME,
        "nav_items": [],
        "unread_count": 0,
        "session_idle_seconds": settings.SESSION_IDLE_SECONDS,
    }
    if user is not None and user.is_authenticated:
        context["nav_items"] = navigation_for(user)
        context["unread_count"] = user.notifications.filter(read_at__isnull=True).count()
    return context

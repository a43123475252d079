import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
application = get_wsgi_application()

# Each worker loads the URL configuration (and with it every view) and this year's
# bank holidays as it starts, not in the first request someone makes of it.
from django.urls import get_resolver  # noqa: E402
from django.utils import timezone  # noqa: E402

from referrals import clocks  # noqa: E402

get_resolver().url_patterns  # noqa: B018
clocks.is_working_day(timezone.localdate())

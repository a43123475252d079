import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
application = get_wsgi_application()

# Each worker loads what every request needs as it starts (config/warm.py).
from config.warm import warm  # noqa: E402

warm()

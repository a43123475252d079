"""The static files' storage in production: WhiteNoise's compressed, hashed files
(``CompressedManifestStaticFilesStorage``), with each file's URL kept once worked out
(docs/performance.md, "The parts every page draws, kept").

Every page links the same six files through ``{% static %}``, and each link looks its
hashed name up in the manifest and joins it to ``STATIC_URL`` again (about 30 µs a link
on a slow host). The manifest is read once, when the storage is made, so a file's URL
cannot change for the life of the process; it is kept, per name. ``collectstatic``
writes a new manifest and forgets what was kept. With ``DEBUG`` on, or ``force``,
nothing is kept (Django then gives the unhashed URL, or hashes afresh)."""

from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept_urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force or settings.DEBUG:
            return super().url(name, force)
        try:
            return self._kept_urls[name]
        except KeyError:
            url = self._kept_urls[name] = super().url(name)
            return url

    def post_process(self, *args, **kwargs):
        self._kept_urls.clear()
        yield from super().post_process(*args, **kwargs)
        self._kept_urls.clear()

"""Production's static storage keeps each file's URL once worked out
(config/storage.py): the same URL as WhiteNoise's storage gives, forgotten when
``collectstatic`` writes a new manifest, and never kept with DEBUG on."""

from whitenoise.storage import CompressedManifestStaticFilesStorage

from config.storage import StaticStorage


def _storages(tmp_path):
    made = []
    for kind in (StaticStorage, CompressedManifestStaticFilesStorage):
        storage = kind(location=str(tmp_path), base_url="/static/")
        storage.hashed_files = {"cirs/cirs.js": "cirs/cirs.0123abcd.js"}
        made.append(storage)
    return made


def test_the_url_is_whitenoises_and_kept(tmp_path, settings):
    settings.DEBUG = False
    ours, theirs = _storages(tmp_path)
    for _ in range(2):
        assert (
            ours.url("cirs/cirs.js")
            == theirs.url("cirs/cirs.js")
            == "/static/cirs/cirs.0123abcd.js"
        )
    # Kept: the manifest is not read again for it.
    ours.hashed_files = {}
    assert ours.url("cirs/cirs.js") == "/static/cirs/cirs.0123abcd.js"


def test_a_new_manifest_forgets_what_was_kept(tmp_path, settings):
    settings.DEBUG = False
    ours, _ = _storages(tmp_path)
    assert ours.url("cirs/cirs.js") == "/static/cirs/cirs.0123abcd.js"
    list(ours.post_process({}))  # collectstatic with nothing to copy: a new manifest
    ours.hashed_files = {"cirs/cirs.js": "cirs/cirs.4567cdef.js"}
    assert ours.url("cirs/cirs.js") == "/static/cirs/cirs.4567cdef.js"


def test_nothing_is_kept_with_debug_on_or_forced(tmp_path, settings):
    ours, theirs = _storages(tmp_path)
    settings.DEBUG = True
    assert ours.url("cirs/cirs.js") == theirs.url("cirs/cirs.js") == "/static/cirs/cirs.js"
    settings.DEBUG = False
    assert ours.url("cirs/cirs.js", force=True) == theirs.url("cirs/cirs.js", force=True)
    assert ours.url("cirs/cirs.js") == "/static/cirs/cirs.0123abcd.js"

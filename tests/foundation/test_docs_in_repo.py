"""Everything the project refers to is inside the repository (docs/): no file points at
documents a person who clones the project does not have."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Spelled in pieces so this file does not name them itself.
OUTSIDE = ("SERVICE" + ".md", "STYLE" + ".md", "SECURITY-" + "CHECKLIST", "../" + "shared")


def _tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / n for n in names if not n.endswith((".svg", ".png", ".ico", ".woff2"))]


def test_no_file_refers_to_documents_outside_the_repository():
    offences = []
    for path in _tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        offences += [f"{path.relative_to(ROOT)}: {word}" for word in OUTSIDE if word in text]
    assert offences == []


def test_the_readme_links_to_the_docs_that_exist():
    readme = (ROOT / "README.md").read_text()
    for doc in ("docs/architecture.md", "docs/service.md", "docs/security-checklist.md"):
        assert f"]({doc})" in readme, doc
        assert (ROOT / doc).is_file(), doc

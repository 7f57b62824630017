"""Settings for the test suite: the production settings with test-only switches turned on.

Variables are set before loading the real settings because those read the environment once.
VIGIE_DATABASE_URL passes through, so the same suite runs on SQLite and on PostgreSQL.
"""

import importlib
import os
import secrets
import tempfile

os.environ.setdefault("VIGIE_HOME", tempfile.mkdtemp(prefix="vigie-test-home-"))
os.environ["VIGIE_TESTING"] = "1"
os.environ.setdefault("VIGIE_SECRET_KEY", secrets.token_urlsafe(64))
os.environ.setdefault("VIGIE_STATIC_MANIFEST", "0")
os.environ.setdefault("VIGIE_STATIC_USE_FINDERS", "1")
os.environ.setdefault("VIGIE_TASKS_BACKEND", "immediate")

_base = importlib.import_module("vigie.settings")
# collectstatic never runs in tests; an empty STATIC_ROOT keeps WhiteNoise from warning.
_base.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
globals().update({name: value for name, value in vars(_base).items() if name.isupper()})

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

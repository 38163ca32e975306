"""Lambda entry points: api, worker, dlq_analyzer, migrate.

Importing this package is the first thing a cold start does: the garbage collector is paused here,
before the handlers' imports, and each ``lambda_handler`` resumes it after its first invocation
(``app/coldstart.py`` says why; only inside a Lambda execution environment).
"""

from app.coldstart import pause_gc

pause_gc()

"""The serverless-infra CrossGuard rules (``policy/`` is the pack folder; ``pack.RULES`` lists them)."""

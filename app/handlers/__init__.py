"""Lambda entry points: api, worker, dlq_analyzer, migrate."""

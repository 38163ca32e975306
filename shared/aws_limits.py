"""Fixed values AWS accepts, used by settings validation and by the synth's value checks alike."""

# CloudWatch Logs PutRetentionPolicy: the only retention periods it accepts.
LOG_RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                                2192, 2557, 2922, 3288, 3653})

# Lambda CreateFunction: MemorySize 128-10,240 MB, Timeout 1-900 s.
LAMBDA_MIN_MEMORY_MB = 128
LAMBDA_MAX_MEMORY_MB = 10_240
LAMBDA_MAX_TIMEOUT_SECONDS = 900

# SQS SetQueueAttributes: VisibilityTimeout 0-43,200 s (12 h).
SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200

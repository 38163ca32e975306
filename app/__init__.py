"""Order ingestion: the Lambda application the serverless-infra stack runs."""

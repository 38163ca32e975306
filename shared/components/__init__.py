"""ComponentResources, one folder per layer; type tokens are ``serverless-infra:<layer>:<Type>``."""

"""The api layer: the REST API from app/openapi.yaml, its stage, usage plans, custom domain and WAF."""

from shared.components.api.api import Api, ApiArgs
from shared.components.api.settings import ApiSettings

__all__ = ["Api", "ApiArgs", "ApiSettings"]

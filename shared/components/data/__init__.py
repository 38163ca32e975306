"""The data layer: RDS PostgreSQL, read replicas, RDS Proxy and the app's database parameters."""

from shared.components.data.database import Database, DatabaseArgs
from shared.components.data.settings import DataSettings, check_environment_policy

__all__ = ["DataSettings", "Database", "DatabaseArgs", "check_environment_policy"]

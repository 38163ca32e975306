"""The security layer: KMS keys per category, the SSM parameter hierarchy, the config-read policy."""

from shared.components.security.keys import KEY_CATEGORIES, KeyRing, KeyRingArgs
from shared.components.security.parameters import ParameterHierarchy, ParameterHierarchyArgs
from shared.components.security.security import Security, SecurityArgs
from shared.components.security.settings import ApiParameters, CacheParameters, SecuritySettings

__all__ = [
    "KEY_CATEGORIES",
    "ApiParameters",
    "CacheParameters",
    "KeyRing",
    "KeyRingArgs",
    "ParameterHierarchy",
    "ParameterHierarchyArgs",
    "Security",
    "SecurityArgs",
    "SecuritySettings",
]

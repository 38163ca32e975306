"""The SSM Parameter Store hierarchy: ``/myapp/{env}/{category}/{key}``, one rule for every user.

The security layer creates the hierarchy, the data layer writes ``/myapp/{env}/database/``, the app
reads it and ``invoke params`` edits it; all of them build and check names here. Pure Python: no
Pulumi, no boto3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.contract import CATEGORIES, PARAMETER_ROOT
from shared.config import Environment
from shared.naming import kms_alias_name

# The root and the categories (each with its own KMS key) are the app's vocabulary too: one
# definition, in app/contract.py, re-exported here for the infrastructure code.
__all__ = ["CATEGORIES", "PARAMETER_ROOT"]
# SSM's own charset for a path segment is [a-zA-Z0-9_.-]; we keep keys to that, one level deep.
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
# Labels: letters, digits, '.', '-', '_'; at most 100 characters; not starting with a digit, 'aws' or 'ssm'.
_LABEL = re.compile(r"^(?![0-9])(?!aws)(?!ssm)[A-Za-z0-9_.-]{1,100}$", re.IGNORECASE)


class ParameterNameError(ValueError):
    """A parameter name outside ``/myapp/{env}/(database|api|cache)/``, or a malformed key or label."""


@dataclass(frozen=True)
class ParameterName:
    env: Environment
    category: str
    key: str

    @property
    def path(self) -> str:
        return f"{parameter_prefix(self.env, self.category)}{self.key}"

    @property
    def kms_alias(self) -> str:
        """The KMS alias a SecureString in this category is encrypted with."""
        return kms_alias_name(self.env, self.category)

    def __str__(self) -> str:
        return self.path


def _category(category: str) -> str:
    if category not in CATEGORIES:
        raise ParameterNameError(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
    return category


def environment_prefix(env: Environment | str) -> str:
    """``/myapp/{env}/``: everything one environment's functions may read."""
    return f"/{PARAMETER_ROOT}/{Environment.parse(str(env), source='--env')}/"


def parameter_prefix(env: Environment | str, category: str) -> str:
    """``/myapp/{env}/{category}/`` (with the trailing slash, as GetParametersByPath takes it)."""
    return f"{environment_prefix(env)}{_category(category)}/"


def parameter_prefixes(env: Environment | str) -> dict[str, str]:
    return {category: parameter_prefix(env, category) for category in CATEGORIES}


def parameter_name(env: Environment | str, category: str, key: str) -> ParameterName:
    if not _KEY.match(key):
        raise ParameterNameError(f"parameter key {key!r} must be 1-128 of [A-Za-z0-9_.-], one level deep")
    return ParameterName(Environment.parse(str(env), source="--env"), _category(category), key)


def parse_parameter_name(name: str, env: Environment | str) -> ParameterName:
    """Check that ``name`` lies in ``env``'s hierarchy; ``category/key`` is read relative to it.

    ``/myapp/prod/api/page_size_max`` and (with env prod) ``api/page_size_max`` give the same name;
    ``/myapp/staging/api/x`` with env prod, ``/myapp/prod/other/x`` or ``/other/x`` are refused.
    """
    environment = Environment.parse(str(env), source="--env")
    prefix = environment_prefix(environment)
    relative = name[len(prefix) :] if name.startswith(prefix) else name
    if relative.startswith("/"):
        allowed = ", ".join(parameter_prefixes(environment).values())
        raise ParameterNameError(
            f"{name!r} is outside the {environment} hierarchy; allowed prefixes: {allowed}"
        )
    category, _, key = relative.partition("/")
    if category not in CATEGORIES or not key:
        allowed = ", ".join(parameter_prefixes(environment).values())
        raise ParameterNameError(f"{name!r} is not <prefix><key> under one of {allowed}")
    try:
        return parameter_name(environment, category, key)
    except ParameterNameError as error:
        raise ParameterNameError(f"{name!r}: {error}") from None


def check_label(label: str) -> str:
    """A label SSM's LabelParameterVersion accepts."""
    if not _LABEL.match(label):
        raise ParameterNameError(
            f"label {label!r}: use up to 100 of [A-Za-z0-9_.-], not starting with a digit, 'aws' or 'ssm'"
        )
    return label

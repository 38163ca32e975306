"""`invoke params ...`: read, change and roll back one environment's SSM parameters.

Thin: arguments in, `ops.parameter_store.ParameterStore` does the work, lines out. Every refusal is
an invoke `Exit` with a message, never a traceback, and changes nothing.
"""

from __future__ import annotations

import getpass

from invoke.collection import Collection
from invoke.exceptions import Exit
from invoke.tasks import task

from ops.parameter_store import (
    DEFAULT_LABEL,
    PARAMETER_TYPES,
    ParameterStore,
    ParameterStoreError,
    iter_lines,
    shown_value,
    ssm_client,
)

COMMON = {
    "env": "dev, staging or prod: the hierarchy /myapp/<env>/ to work on",
    "endpoint-url": "SSM endpoint, e.g. http://127.0.0.1:5000 (default: AWS_ENDPOINT_URL, else AWS)",
}
READ = {**COMMON, "show-secrets": "print SecureString values in clear (default: masked)"}


def _store(env: str, endpoint_url: str | None) -> ParameterStore:
    try:
        return ParameterStore(ssm_client(endpoint_url), env)
    except ParameterStoreError as error:
        raise Exit(str(error), code=1) from None


def _version_number(version: str | int) -> int:
    text = str(version)
    if not text.isdigit() or int(text) < 1:
        raise Exit(f"--version {version!r} is not a version number (1, 2, ...)", code=1)
    return int(text)


@task(name="list", help={**READ, "category": "only database, api or cache"})
def list_(c, env, category=None, show_secrets=False, endpoint_url=None):
    """List the latest version of every parameter under /myapp/<env>/."""
    store = _store(env, endpoint_url)
    try:
        parameters = store.list_parameters(category, decrypt=show_secrets)
    except ParameterStoreError as error:
        raise Exit(str(error), code=1) from None
    if not parameters:
        print(f"no parameters under /myapp/{store.env}/")
    for p in parameters:
        print(f"{p.name:<50} v{p.version:<4} {p.type:<12} {shown_value(p, show_secrets)}")


@task(
    help={
        **READ,
        "name": "full name or <category>/<key>",
        "version": "a version number",
        "label": "a label, e.g. current",
    }
)
def get(c, env, name, version=None, label=None, show_secrets=False, endpoint_url=None):
    """Print one parameter: the latest version, or the one --version or --label pins (name:3, name:label)."""
    if version is not None and label is not None:
        raise Exit("give --version or --label, not both", code=1)
    selector = _version_number(version) if version is not None else label
    store = _store(env, endpoint_url)
    try:
        p = store.get(name, selector, decrypt=show_secrets)
    except ParameterStoreError as error:
        raise Exit(str(error), code=1) from None
    print(f"{p.name} v{p.version} {p.type}")
    print(shown_value(p, show_secrets))


@task(help={**READ, "name": "full name or <category>/<key>"})
def history(c, env, name, show_secrets=False, endpoint_url=None):
    """Every kept version of a parameter: date, who changed it (LastModifiedUser), labels, value."""
    store = _store(env, endpoint_url)
    try:
        versions = store.history(name, decrypt=show_secrets)
    except ParameterStoreError as error:
        raise Exit(str(error), code=1) from None
    print(f"{versions[-1].name}: {len(versions)} version(s), latest v{versions[-1].version}")
    for line in iter_lines(versions, show_secrets):
        print(line)


@task(
    name="set",
    help={
        **COMMON,
        "name": "full name or <category>/<key> under /myapp/<env>/(database|api|cache)/",
        "value": "the new value (omit it to type a secret without echo or shell history)",
        "type": f"one of {', '.join(PARAMETER_TYPES)} (default: the existing type, else SecureString)",
        "description": "description (default: keep the existing one)",
        "label": "also attach this label to the new version",
    },
)
def set_(c, env, name, value=None, type=None, description=None, label=None, endpoint_url=None):  # noqa: A002
    """Write a new version of a parameter; SecureStrings are encrypted with the category's KMS key."""
    store = _store(env, endpoint_url)
    try:
        parameter = store.resolve(name)  # refuse a bad name before prompting for a value
        if value is None:
            value = getpass.getpass(f"value for {parameter}: ")
        version = store.set(parameter.path, value, kind=type, description=description, label=label)
    except ParameterStoreError as error:
        raise Exit(str(error), code=1) from None
    print(f"{parameter} is now v{version}" + (f" (label {label})" if label else ""))


@task(
    help={
        **COMMON,
        "name": "full name or <category>/<key>",
        "version": "the version whose value to restore",
        "label": f"label to move to the restored version (default {DEFAULT_LABEL})",
        "yes": "do not ask for confirmation",
    }
)
def rollback(c, env, name, version, label=DEFAULT_LABEL, yes=False, endpoint_url=None):
    """Restore an old version's value as a new version and move a label to it."""
    number = _version_number(version)
    store = _store(env, endpoint_url)
    try:
        store.check_label(label)
        target, latest = store.version(name, number)
        print(
            f"{target.name}: write v{number}'s value ({target.modified:%Y-%m-%d %H:%M} by {target.user}) as "
            f"v{latest.version + 1}, replacing v{latest.version}; move label {label!r} to it"
        )
        if not yes and input("proceed? [y/N] ").strip().lower() not in ("y", "yes"):
            raise Exit("rollback cancelled; nothing changed", code=1)
        new_version = store.rollback(target.name, number, label)
    except ParameterStoreError as error:
        raise Exit(str(error), code=1) from None
    print(
        f"{target.name} is now v{new_version} (value of v{number}), label {label!r}. "
        "Running functions pick it up within their config TTL (CONFIG_TTL_SECONDS, default 300 s)."
    )


ns = Collection("params")
for _task in (list_, get, history, set_, rollback):
    ns.add_task(_task)  # pyright: ignore[reportArgumentType] - invoke types @task(...) as returning the function

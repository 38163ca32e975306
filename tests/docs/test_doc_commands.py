"""Every command the README and docs/ show an operator runs as printed.

Commands are taken from fenced code blocks and inline code spans that start with `invoke`,
`.venv/bin/invoke`, `pulumi` or `aws`. Each is checked against the real thing we can reach here:

* invoke: parsed by invoke's own parser against this repo's task collection (task names, flags);
* aws: the service and operation against botocore's service models (the AWS CLI is generated from
  them), every `--option` against the operation's input members, and a key given by alias where the
  operation's own documentation does not accept an alias;
* pulumi: against the CLI's documented commands and flags (https://www.pulumi.com/docs/iac/cli/commands/),
  kept below since no Pulumi CLI can be installed here.

Shorthand the docs use is understood: `[--flag VALUE]` is optional, `a / b / c` and `a/b/c` in the
task position are alternatives, `<placeholder>` and `...` stand for values.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name
from invoke.parser import ParseError, Parser

from shared.config import REPO_ROOT

pytestmark = pytest.mark.unit

DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.S | re.M)
_SPAN = re.compile(r"`([^`\n]+)`")
_START = re.compile(r"^(?:\.venv/bin/)?(invoke|pulumi|aws) ")

# Options every AWS CLI command takes (aws help, "Global Options").
AWS_GLOBAL = {"debug", "endpoint-url", "no-verify-ssl", "no-paginate", "output", "query", "profile", "region",
              "version", "color", "no-sign-request", "ca-bundle", "cli-read-timeout", "cli-connect-timeout",
              "cli-binary-format", "no-cli-pager", "cli-auto-prompt", "no-cli-auto-prompt", "cli-input-json",
              "cli-input-yaml", "generate-cli-skeleton"}
# High-level commands of the AWS CLI that are not in botocore's models, with their options
# (https://docs.aws.amazon.com/cli/latest/reference/s3/).
AWS_CUSTOM = {("s3", "rm"): {"recursive", "dryrun", "quiet", "include", "exclude", "only-show-errors"},
              ("s3", "ls"): {"recursive", "human-readable", "summarize"},
              ("s3", "cp"): {"recursive", "sse", "sse-kms-key-id", "dryrun"}}
# Pulumi CLI commands (https://www.pulumi.com/docs/iac/cli/commands/) with the flags the docs may use;
# every command also takes the global flags.
PULUMI_GLOBAL = {"cwd", "C", "stack", "s", "color", "non-interactive", "yes", "y", "help", "h", "logtostderr", "v"}
PULUMI = {
    "login": {"local", "cloud-url", "default-org", "insecure"},
    "logout": {"all", "local", "cloud-url"},
    "up": {"replace", "target", "target-dependents", "refresh", "diff", "skip-preview", "policy-pack",
           "policy-pack-config", "config", "message", "parallel", "expect-no-changes", "json"},
    "preview": {"replace", "target", "refresh", "diff", "policy-pack", "policy-pack-config", "json", "expect-no-changes"},
    "refresh": {"target", "skip-preview", "expect-no-changes", "json", "preview-only"},
    "destroy": {"target", "target-dependents", "skip-preview", "remove", "exclude-protected", "json"},
    "import": {"file", "from", "out", "parent", "provider", "protect", "skip-preview", "generate-code"},
    "stack select": {"create", "secrets-provider"},
    "stack init": {"secrets-provider", "copy-config-from", "no-select"},
    "stack ls": {"json", "all", "organization", "project", "tag"},
    "stack rm": {"force", "preserve-config"},
    "stack output": {"json", "show-secrets", "shell"},
    "stack export": {"file", "show-secrets", "version"},
    "stack import": {"file", "force"},
    "stack history": {"json", "show-secrets", "page", "page-size", "full-dates"},
    "state delete": {"force", "target-dependents"},
    "state unprotect": {"all"},
    "config set": {"secret", "plaintext", "path", "type"},
    "config get": {"json", "path"},
    "config": {"json", "show-secrets", "open"},
    "cancel": set(),
}


def doc_commands() -> Iterator[tuple[str, str]]:
    """(where, command) for every command line shown in the README and docs/."""
    for doc in DOCS:
        text = doc.read_text()
        blocks = [m.group(1) for m in _FENCE.finditer(text)]
        prose = _FENCE.sub("", text)
        lines = [line for block in blocks for line in _join_continuations(block)]
        lines += [m.group(1) for m in _SPAN.finditer(prose)]
        for line in lines:
            command = line.split(" #", 1)[0].strip().rstrip(";")
            if _START.match(command):
                yield f"{doc.relative_to(REPO_ROOT)}: {command}", command


def _join_continuations(block: str) -> Iterator[str]:
    pending = ""
    for raw in block.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield pending + line
        pending = ""


def _tokens(command: str) -> list[str]:
    """Shell words, with `[`/`]` of optional parts and `...` removed."""
    words = shlex.split(command.replace("[", " ").replace("]", " "), posix=True)
    return [w for w in words if w not in ("...", "|")]


def _alternatives(words: list[str]) -> list[list[str]]:
    """`deploy / preview` and `list/get` in the task position expand into one command each."""
    task_words, rest = [], list(words)
    while rest and not rest[0].startswith("-"):
        task_words.append(rest.pop(0))
    joined = " ".join(task_words).replace(" / ", "/")
    head = joined.split(" ", 1)[0]
    if "/" not in joined:
        return [words]
    if "." in head and "/" in head:  # params.list/get/... -> params.list, params.get
        namespace, first = head.split(".", 1)
        names = [f"{namespace}.{n}" for n in first.split("/")]
    elif " " in joined and "/" in joined.split(" ", 1)[1]:  # params list/get -> params.list, params.get
        names = [f"{head}.{n}" for n in joined.split(" ", 1)[1].split("/")]
    else:
        names = joined.split("/")
    return [[name, *rest] for name in names]


INVOKE_CORE_FLAGS = {"--list", "-l", "--help", "-h", "--version", "-V"}


def check_invoke(words: list[str]) -> str | None:
    import tasks

    if words and set(words) <= INVOKE_CORE_FLAGS:
        return None
    if len(words) == 1 and (words[0] in tasks.ns.task_names or words[0] in tasks.ns.collections):
        return None  # a bare reference to a task or a namespace in prose, not a command line
    parser = Parser(contexts=tasks.ns.to_contexts(), ignore_unknown=False)
    for argv in _alternatives(words):
        argv = [w if not re.fullmatch(r"<[^>]+>", w) else "X" for w in argv]
        try:
            parsed = parser.parse_argv(argv)
        except ParseError as error:
            return f"invoke {' '.join(argv)}: {error}"
        if not parsed:
            return f"invoke {' '.join(argv)}: names no task"
    return None


def _options(words: list[str]) -> list[str]:
    return [w[2:].split("=", 1)[0] for w in words if w.startswith("--")]


def check_aws(words: list[str]) -> str | None:
    if len(words) < 2:
        return "names no service and operation"
    service, operation, rest = words[0], words[1], words[2:]
    if (service, operation) in AWS_CUSTOM:
        unknown = set(_options(rest)) - AWS_CUSTOM[service, operation] - AWS_GLOBAL
        return f"aws {service} {operation} has no option(s) {sorted(unknown)}" if unknown else None
    session = botocore.session.get_session()
    if service not in session.get_available_services():
        return f"aws has no service {service!r}"
    model = session.get_service_model(service)
    operations = {xform_name(name, "-"): name for name in model.operation_names}
    if operation not in operations:
        return f"aws {service} has no command {operation!r}"
    shape = model.operation_model(operations[operation]).input_shape
    members = {xform_name(name, "-"): (name, member) for name, member in (shape.members.items() if shape else [])}
    for index, word in enumerate(rest):
        if not word.startswith("--"):
            continue
        option = word[2:].split("=", 1)[0]
        if option in AWS_GLOBAL:
            continue
        bare = option[3:] if option.startswith("no-") else option
        if bare not in members:
            return f"aws {service} {operation} has no option --{option} (members: {sorted(members)})"
        value = rest[index + 1] if index + 1 < len(rest) else ""
        member = members[bare][1]
        if value.startswith("alias/") and "alias" not in (member.documentation or "").lower():
            return f"aws {service} {operation} --{option} does not take an alias name ({value}); give the key id or ARN"
    return None


def check_pulumi(words: list[str]) -> str | None:
    command = " ".join(words[:2]) if " ".join(words[:2]) in PULUMI else words[0] if words else ""
    if command not in PULUMI:
        return f"pulumi has no command {' '.join(words[:2])!r} in the documented list"
    flags = {w.lstrip("-").split("=", 1)[0] for w in words if w.startswith("-")}
    unknown = flags - PULUMI[command] - PULUMI_GLOBAL
    return f"pulumi {command} has no flag(s) {sorted(unknown)}" if unknown else None


CHECKS = {"invoke": check_invoke, "aws": check_aws, "pulumi": check_pulumi}


def check(command: str) -> str | None:
    words = _tokens(command)
    tool = words[0].rsplit("/", 1)[-1]
    return CHECKS[tool](words[1:])


def test_the_docs_show_commands_at_all() -> None:
    found = {command.split()[0].rsplit("/", 1)[-1] for _, command in doc_commands()}
    assert found == {"invoke", "pulumi", "aws"}


@pytest.mark.parametrize(("where", "command"), list(doc_commands()), ids=lambda value: value[:80])
def test_doc_command_runs_as_printed(where: str, command: str) -> None:
    assert check(command) is None, f"{where}: {check(command)}"


@pytest.mark.parametrize(
    ("command", "complaint"),
    [
        ("invoke params list --env prod", "No idea what 'params' is"),
        ("invoke deploy --layer compute", "did not receive required positional arguments: 'env'"),
        ("invoke deploy --env prod --layers compute", "No idea what '--layers'"),
        ("aws kms rotate-key-on-demand --key-id alias/serverless-infra-prod-api", "does not take an alias"),
        ("aws rds modify-db-instance --db-instance-id x", "has no option --db-instance-id"),
        ("aws lambda update-alias-version --name live", "has no command"),
        ("pulumi stack choose dev", "has no command"),
        ("pulumi up --replace-all", "has no flag"),
    ],
)
def test_a_command_that_would_not_run_is_caught(command: str, complaint: str) -> None:
    assert complaint in (check(command) or "")


@pytest.mark.parametrize(
    "command",
    [
        "invoke params.list --env prod [--category api]",
        "invoke deploy / preview / destroy / outputs --env E [--layer L]",
        "aws kms rotate-key-on-demand --key-id <key-arn>",
        "aws rds modify-db-instance --db-instance-identifier db --apply-immediately",
        "pulumi stack select organization/serverless-infra-network/staging --create",
    ],
)
def test_a_command_that_runs_passes(command: str) -> None:
    assert check(command) is None


def test_every_doc_is_read() -> None:
    assert Path(REPO_ROOT / "README.md") in DOCS and len(DOCS) > 5

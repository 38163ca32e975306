"""The account model: envs sharing an account are checked together; staging/prod guard their account."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from shared.accounts import account_budget, check_budgets, load_usages
from shared.components.compute.settings import ComputeSettings
from shared.config import REPO_ROOT, ConfigError, Environment, load_shared_settings, validate_settings

pytestmark = pytest.mark.unit


def copy_config(tmp_path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "config", tmp_path / "config")
    (tmp_path / "projects" / "compute").mkdir(parents=True)
    for env in Environment:
        name = f"Pulumi.{env.value}.yaml"
        shutil.copy(REPO_ROOT / "projects" / "compute" / name, tmp_path / "projects" / "compute" / name)
    return tmp_path


def set_account(root: Path, env: str, **account) -> None:
    path = root / "config" / f"{env}.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["account"].update(account)
    if raw.get("allowedAccountIds") and "id" in account:
        raw["allowedAccountIds"] = [account["id"]]
    path.write_text(yaml.safe_dump(raw))


def test_shipped_envs_live_in_accounts_of_their_own_and_fit():
    usages = load_usages()
    assert len({u.account_id for u in usages}) == 3, "AWS recommends one account per env; the defaults do that"
    for budget in check_budgets(usages).values():
        assert budget.needed <= budget.quota


def test_prod_runs_a_thousand_concurrent_api_executions_within_its_quota():
    budget = account_budget(Environment.PROD)
    prod = next(u for u in budget.envs if u.env is Environment.PROD)
    assert prod.reserved["api"] >= 1000
    assert budget.quota >= budget.needed == prod.reserved_total + 100
    assert prod.provisioned_max <= prod.reserved["api"]


def test_envs_sharing_an_account_are_refused_when_their_reservations_do_not_fit(tmp_path):
    root = copy_config(tmp_path)
    for env in ("dev", "staging", "prod"):
        set_account(root, env, id="444444444444", lambdaConcurrencyQuota=1000)
    with pytest.raises(ConfigError) as caught:
        account_budget(Environment.DEV, root)
    message = str(caught.value)
    assert "account 444444444444" in message and "quota 1000" in message
    assert "dev 28" in message and "staging 123" in message and "prod 1156" in message
    assert "= 1307, plus the 100 Lambda keeps unreserved = 1407" in message and "its own account" in message


def test_two_envs_sharing_an_account_that_fits_have_one_quota_owner(tmp_path):
    root = copy_config(tmp_path)
    for env in ("dev", "staging"):
        set_account(root, env, id="555555555555", lambdaConcurrencyQuota=1000)
    budget = account_budget(Environment.DEV, root)
    assert {u.env for u in budget.envs} == {Environment.DEV, Environment.STAGING}
    assert budget.owner is Environment.STAGING and budget.needed == 28 + 123 + 100


def test_envs_sharing_an_account_must_agree_on_its_quota(tmp_path):
    root = copy_config(tmp_path)
    set_account(root, "dev", id="555555555555", lambdaConcurrencyQuota=1000)
    set_account(root, "staging", id="555555555555", lambdaConcurrencyQuota=2000)
    with pytest.raises(ConfigError, match="disagree on account.lambdaConcurrencyQuota"):
        account_budget(Environment.STAGING, root)


def test_prod_api_below_a_thousand_is_refused(tmp_path):
    root = copy_config(tmp_path)
    path = root / "projects" / "compute" / "Pulumi.prod.yaml"
    path.write_text(path.read_text().replace("reservedConcurrency: 1000}", "reservedConcurrency: 700}"))
    with pytest.raises(ConfigError, match="at least 1000 concurrent api executions"):
        account_budget(Environment.PROD, root)


def test_staging_and_prod_must_list_their_account(tmp_path):
    root = copy_config(tmp_path)
    path = root / "config" / "prod.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["allowedAccountIds"] = []
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="allowedAccountIds.*prod must list its account"):
        load_shared_settings(Environment.PROD, root)
    raw["allowedAccountIds"] = ["999999999999"]
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="does not contain account.id '333333333333'"):
        load_shared_settings(Environment.PROD, root)


def test_account_id_is_required_and_twelve_digits(tmp_path):
    no_account = copy_config(tmp_path / "none")
    path = no_account / "config" / "dev.yaml"
    raw = yaml.safe_load(path.read_text())
    del raw["account"]
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="key .account. is missing"):
        load_shared_settings(Environment.DEV, no_account)
    root = copy_config(tmp_path)
    set_account(root, "dev", id="12345")
    with pytest.raises(ConfigError, match="account.id"):
        load_shared_settings(Environment.DEV, root)


def test_api_timeout_leaves_headroom_under_api_gateways_integration_timeout():
    from shared.aws_limits import API_FUNCTION_TIMEOUT_HEADROOM_SECONDS, API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS

    values = yaml.safe_load((REPO_ROOT / "projects/compute/Pulumi.prod.yaml").read_text())["config"]
    raw = {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith("serverless-infra-compute:")}
    settings = validate_settings(ComputeSettings, raw, "prod")
    assert settings.functions["api"].timeout_seconds + API_FUNCTION_TIMEOUT_HEADROOM_SECONDS <= (
        API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS)
    raw["functions"] = {**raw["functions"], "api": {**raw["functions"]["api"], "timeoutSeconds": 29}}
    with pytest.raises(ConfigError, match="api.timeoutSeconds = 29 must be <= 25"):
        validate_settings(ComputeSettings, raw, "prod")

"""A kubeconfig named explicitly is one file, its whole path (':' is a valid name character);
only ``KUBECONFIG`` is a list, as for kubectl."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from asyncconsole._errors import ConfigError
from asyncconsole.infra.kubernetes import KubernetesManager
from asyncconsole.infra.kubernetes._auth import plan_connection
from asyncconsole.testing import FakeKubernetesApiServer


def test_an_explicit_path_with_a_colon_is_one_file(tmp_path: Path) -> None:
    odd = tmp_path / "a:b" / "kube:config"
    odd.parent.mkdir()
    odd.write_text("{}")
    plan = plan_connection(
        kubeconfig=odd, context=None, in_cluster=None, environ={}, service_account_dir=tmp_path
    )
    assert plan.files == (str(odd),)
    with pytest.raises(ConfigError, match="no Kubernetes configuration"):
        plan_connection(
            kubeconfig=f"{tmp_path / 'absent'}{os.pathsep}{odd}",  # one (missing) file's name
            context=None,
            in_cluster=None,
            environ={},
            service_account_dir=tmp_path,
        )


def test_kubeconfig_variable_is_still_a_list(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.write_text("{}")
    second.write_text("{}")
    plan = plan_connection(
        kubeconfig=None,
        context=None,
        in_cluster=None,
        environ={"KUBECONFIG": f"{first}{os.pathsep}{tmp_path / 'gone'}{os.pathsep}{second}"},
        service_account_dir=tmp_path,
    )
    assert plan.files == (str(first), str(second))


async def test_a_manager_loads_a_kubeconfig_whose_path_has_a_colon(tmp_path: Path) -> None:
    async with FakeKubernetesApiServer() as kube:
        kube.add_deployment("ma", "web", replicas=2)
        path = kube.write_kubeconfig(tmp_path / "dir:with:colons" / "config", namespace="ma")
        async with KubernetesManager(kubeconfig=path) as k8s:
            status = await k8s.get_deployment_status("ma", "web")
    assert status.desired == 2

"""API discovery documents of the fake Kubernetes API server.

kubectl 1.32 asks ``/api`` and ``/apis`` for the aggregated ``APIGroupDiscoveryList``
(apidiscovery.k8s.io/v2) and falls back to the legacy ``APIVersions``/``APIGroupList`` plus one
``APIResourceList`` per group version; both are served from the one table below.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AGGREGATED_CONTENT_TYPE",
    "aggregated",
    "api_group",
    "api_group_list",
    "api_versions",
    "resource_list",
    "wants_aggregated",
]

AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

_READ = ["get", "list", "watch"]
_RW = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

# group -> version -> [(resource, kind, singular, short names, verbs, subresources)]
# subresources: (name, group, version, kind, verbs)
_Sub = tuple[str, str, str, str, list[str]]
_Res = tuple[str, str, str, list[str], list[str], list[_Sub]]
RESOURCES: dict[str, dict[str, list[_Res]]] = {
    "": {
        "v1": [
            ("namespaces", "Namespace", "namespace", ["ns"], ["get", "list", "watch"], []),
            (
                "pods",
                "Pod",
                "pod",
                ["po"],
                _RW,
                [
                    ("exec", "", "v1", "PodExecOptions", ["create", "get"]),
                    ("log", "", "v1", "Pod", ["get"]),
                    ("status", "", "v1", "Pod", ["get"]),
                ],
            ),
            ("secrets", "Secret", "secret", [], _RW, []),
            ("configmaps", "ConfigMap", "configmap", ["cm"], _RW, []),
        ]
    },
    "apps": {
        "v1": [
            (
                "deployments",
                "Deployment",
                "deployment",
                ["deploy"],
                _RW,
                [
                    ("scale", "autoscaling", "v1", "Scale", ["get", "patch", "update"]),
                    ("status", "apps", "v1", "Deployment", ["get"]),  # only GET is served
                ],
            )
        ]
    },
}

_NAMESPACED = {"pods", "secrets", "configmaps", "deployments"}


def wants_aggregated(accept: str) -> bool:
    """Whether the ``Accept`` header asks for aggregated discovery v2."""
    return any(
        "as=APIGroupDiscoveryList" in part and "v=v2" in part and "v=v2beta1" not in part
        for part in accept.split(",")
    )


def api_versions(server_address: str) -> dict[str, Any]:
    """Legacy ``GET /api``."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def api_group(name: str) -> dict[str, Any]:
    """``GET /apis/<group>``."""
    versions = [{"groupVersion": f"{name}/{v}", "version": v} for v in RESOURCES[name]]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": name,
        "versions": versions,
        "preferredVersion": versions[0],
    }


def api_group_list() -> dict[str, Any]:
    """Legacy ``GET /apis``."""
    groups = [api_group(g) for g in RESOURCES if g]
    for g in groups:
        del g["kind"], g["apiVersion"]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(group: str, version: str) -> dict[str, Any] | None:
    """Legacy ``GET /api/v1`` or ``/apis/<group>/<version>`` (``None`` if unknown)."""
    entries = RESOURCES.get(group, {}).get(version)
    if entries is None:
        return None
    resources: list[dict[str, Any]] = []
    for name, kind, singular, short, verbs, subs in entries:
        item: dict[str, Any] = {
            "name": name,
            "singularName": singular,
            "namespaced": name in _NAMESPACED,
            "kind": kind,
            "verbs": verbs,
        }
        if short:
            item["shortNames"] = short
        if name in ("pods", "deployments"):
            item["categories"] = ["all"]
        resources.append(item)
        for sub, sgroup, sversion, skind, sverbs in subs:
            entry: dict[str, Any] = {
                "name": f"{name}/{sub}",
                "singularName": "",
                "namespaced": True,
                "kind": skind,
                "verbs": sverbs,
            }
            if sgroup != group or sversion != version:
                entry["group"], entry["version"] = sgroup, sversion
            resources.append(entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def aggregated(core: bool) -> dict[str, Any]:
    """``GET /api`` (``core=True``) or ``GET /apis`` as an ``APIGroupDiscoveryList``."""
    items = []
    for group, versions in RESOURCES.items():
        if (group == "") != core:
            continue
        vlist = []
        for version, entries in versions.items():
            resources = []
            for name, kind, singular, short, verbs, subs in entries:
                res: dict[str, Any] = {
                    "resource": name,
                    "responseKind": {"group": group, "version": version, "kind": kind},
                    "scope": "Namespaced" if name in _NAMESPACED else "Cluster",
                    "singularResource": singular,
                    "verbs": verbs,
                }
                if short:
                    res["shortNames"] = short
                if name in ("pods", "deployments"):
                    res["categories"] = ["all"]
                if subs:
                    res["subresources"] = [
                        {
                            "subresource": sub,
                            "responseKind": {"group": sg, "version": sv, "kind": sk},
                            "verbs": sverbs,
                        }
                        for sub, sg, sv, sk, sverbs in subs
                    ]
                resources.append(res)
            vlist.append({"version": version, "resources": resources, "freshness": "Current"})
        meta: dict[str, Any] = {"creationTimestamp": None}
        if group:
            meta["name"] = group
        items.append({"metadata": meta, "versions": vlist})
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }

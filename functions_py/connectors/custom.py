"""The ``custom`` connector type: a Connector subclass named by ``config["class"]``.

``"class": "package.module:ClassName"``; the class is imported in the worker's process and
receives the same config, credentials, HTTP client and limiter.
"""

from __future__ import annotations

import importlib
from typing import Any

from functions_py.connectors.base import Connector
from functions_py.connectors.errors import ConnectorConfigError


def load_connector_class(spec: Any) -> type[Connector]:
    """Import ``module:attribute`` and check that it is a Connector subclass."""
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise ConnectorConfigError("class", "must be 'module:ClassName'")
    module_name, attribute = spec.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConnectorConfigError(
            "class", f"cannot import module {module_name!r}: {exc}"
        ) from None
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ConnectorConfigError("class", f"{module_name!r} has no attribute {attribute!r}")
        target = getattr(target, part)
    if not isinstance(target, type) or not issubclass(target, Connector):
        raise ConnectorConfigError("class", f"{spec!r} is not a Connector subclass")
    if getattr(target, "__abstractmethods__", None):
        missing = ", ".join(sorted(target.__abstractmethods__))
        raise ConnectorConfigError("class", f"{spec!r} does not implement {missing}")
    return target

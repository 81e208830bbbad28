"""Every endpoint of the application as (path pattern, methods), into mounted applications.

The `Allow` header of a 405 and the names of path parameters in a 400 need all the routes a path
matches, which Starlette's first-match dispatch does not give. FastAPI (from 0.16x) keeps included
routers as nested route objects; `iter_route_contexts` flattens them with their prefixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.routing import BaseRoute, Mount, compile_path

__all__ = ["Endpoint", "RouteTable"]


@dataclass(frozen=True)
class Endpoint:
    path: str  # the template, `/api/v1/external/workflows/{runtime_id}`
    pattern: re.Pattern[str]
    methods: frozenset[str]


def _contexts(routes: Sequence[BaseRoute]) -> Iterable[Any]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routers are already flat
        return routes
    return iter_route_contexts(routes)


def _endpoints(routes: Sequence[BaseRoute], prefix: str = "") -> list[Endpoint]:
    out: list[Endpoint] = []
    for context in _contexts(routes):
        route = getattr(context, "original_route", context)
        if isinstance(route, Mount):
            out.extend(_endpoints(route.routes, prefix + route.path))
            continue
        path, methods = getattr(context, "path", None), getattr(context, "methods", None)
        if path and methods:
            pattern, _, _ = compile_path(prefix + path)
            out.append(Endpoint(prefix + path, pattern, frozenset(methods)))
    return out


class RouteTable:
    """Built on first use: `routes` is filled in after the middleware that holds this table is added."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._routes = routes
        self._endpoints: list[Endpoint] | None = None

    @property
    def endpoints(self) -> list[Endpoint]:
        if self._endpoints is None:
            self._endpoints = _endpoints(self._routes)
        return self._endpoints

    def _first(self, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        for endpoint in self.endpoints:
            found = endpoint.pattern.match(path)
            if found:
                return endpoint, found.groupdict()
        return None

    def methods(self, path: str) -> set[str]:
        """The methods of the path template `path` falls under, as the OpenAPI lists them: every endpoint
        with the template of the first one that matches (`/workflows/run` is POST, not also the GET and
        PATCH of `/workflows/{runtime_id}`)."""
        first = self._first(path)
        if first is None:
            return set()
        return {m for e in self.endpoints if e.path == first[0].path for m in e.methods}

    def path_params(self, path: str) -> dict[str, str]:
        """The parameters of the first endpoint whose pattern matches `path` (empty when none does)."""
        first = self._first(path)
        return first[1] if first else {}

"""moto's server, told which service a request is for without listing moto's package on disk.

moto's dispatcher finds the service a request's host names by listing moto's own package folder
and testing each entry for a folder, at every request: about a millisecond each, a tenth of a
transaction of a hundred updates. What it answers for a host depends on the host alone (the
folder and moto's URL patterns do not change while the server runs), so each host's answer is
kept here.

The patch relies on moto's code as it is in the pinned version: `PINNED` names what moto_patch
checks before applying it.
"""

from __future__ import annotations

import functools
from typing import Any

from moto import backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

PINNED: tuple[tuple[Any, str], ...] = (
    (
        DomainDispatcherApplication.get_backend_for_host,
        "1f41972c1e4e660fbf4e4ddfeeed2fdff56dc105a8f8e1bf015640f710ef511a",
    ),
    (backends.list_of_moto_modules, "4f741a10b06500e840c3aaa1b4f02706e6f2bfbababc0e8a2a7b9c9d0e8957dc"),
)

# Hosts are a service and a region, or a bucket: few, but not bounded by the server.
HOSTS_KEPT = 1024


class Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher over all of moto's services, with the service each host names kept."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backend_for_host = functools.lru_cache(maxsize=HOSTS_KEPT)(super().get_backend_for_host)

    def get_backend_for_host(self, host: str | None) -> Any:
        return self._backend_for_host(host)

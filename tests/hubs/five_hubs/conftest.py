"""The five-hub network (tests/hubs/network.py), one for every test of this package: started before the
first and stopped after the last (``scope="package"``), so the longest-path tests and the erasure test
share five stacks instead of starting eight. The package's name puts it before the three-hub files
(pytest collects tests/hubs by name), so its five stacks never run beside the session's three."""
from __future__ import annotations

import pytest

from tests.hubs.network import running_network


@pytest.fixture(scope="package")
def network():
    with running_network() as hubs:
        yield hubs

"""One hub on a three-node RabbitMQ cluster (deploy/local/cluster.sh), under 10 reports/s through the
front door: kill -9 of the node leading the services' queues, its restart and rejoin, then the same
for the node leading them then. Nothing lost, nothing duplicated, no service restarted by hand, and
processing resumes after each kill (bench/cluster_failover.py runs the same scenario, longer, and
prints its figures). Skipped only when the three nodes cannot be started or clustered here.
"""
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import OFFSET

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from cluster_failover import ClusterUnavailable, describe, run  # noqa: E402

pytestmark = pytest.mark.cluster
# three offsets of its own (the nodes' broker ports), away from the session's servers at OFFSET
CLUSTER_OFFSET = int(os.environ.get("LAPOR_TEST_CLUSTER_OFFSET", OFFSET + 20))


def test_the_services_ride_out_two_leader_kills_losing_and_duplicating_nothing():
    try:
        result = run(offset=CLUSTER_OFFSET, rate=10, warmup=5, down=5, settle=5, tail=5, stall=60, log=print)
    except ClusterUnavailable as exc:
        pytest.skip(f"a three-node RabbitMQ cluster cannot form on this machine: {str(exc)[-500:]}")
    print(describe(result))
    assert result["accepted"] == result["sent"] and result["failed_posts"] == 0, result["failures"]
    assert result["lost"] == [], f"{len(result['lost'])} accepted reports never reached follow-up:\n{describe(result)}"
    assert result["duplicated"] == [], describe(result)
    assert result["pids_unchanged"], "a service process was restarted or died"
    assert [k["resumed_s"] < 60 for k in result["kills"]] == [True, True], describe(result)

"""Prometheus metrics of a hub's links, read from its broker's management API at each scrape.

    python -m contract.hubmetrics --hub 51 --directory FILE.yml --secrets FILE.yml --port 8786 [--store URI [--keep-links]]

The neighbours follow the directory without a restart (issue 19): with ``--store`` (the hub's
store, where routing keeps the directory every hub publishes, docs/hubs.md "One registry") they are
read from routing's ``hubs`` at each scrape, so a district that joins is monitored at once (its link
``absent``, ``lapor_hub_link_up`` 0, until its shovel runs); the file is the fallback while the
store does not answer.

RabbitMQ 3.10's own Prometheus plugin exports no shovel metrics (``rabbitmq_shovel_*`` came with
later releases), so the shovel state comes from ``GET /api/shovels`` and the outbound backlog
from ``GET /api/queues`` (the same depth as ``rabbitmq_detailed_queue_messages`` of
``/metrics/detailed?family=queue_coarse_metrics``):

- ``lapor_hub_link_up{hub, neighbour}``: 1 when the shovel to the neighbour is running, else 0;
- ``lapor_hub_link_state{hub, neighbour, state}``: 1 for the shovel's current state
  (``running``, ``starting``, ``terminated``, ``absent``);
- ``lapor_hub_link_outbound_messages{hub, neighbour}``: messages waiting in
  ``lapor.hubs.out.<neighbour>`` (the durable backlog while the neighbour or link is down).

A scrape that cannot reach the management API fails (the target goes ``up == 0``).

With ``--keep-links`` (and ``--store``) the process also keeps the links themselves: the link user
and shovel of each child that joined (``contract.hubkeeper``), since it holds the management credentials.
"""
from __future__ import annotations

import argparse
import sys
import time

from prometheus_client.core import GaugeMetricFamily, REGISTRY

from contract import hubnet, hublink

STATES = ("running", "starting", "terminated", "absent")


def link_families(hub: str, neighbours: list[str], states: dict[str, str], depths: dict[str, int]) -> list:
    """The metric families for one scrape (pure: from the API's answers)."""
    up = GaugeMetricFamily("lapor_hub_link_up", "1 when the shovel to the neighbour hub is running.",
                           labels=["hub", "neighbour"])
    state = GaugeMetricFamily("lapor_hub_link_state", "The shovel's current state (1 for the current one).",
                              labels=["hub", "neighbour", "state"])
    backlog = GaugeMetricFamily("lapor_hub_link_outbound_messages",
                                "Messages waiting in the outbound queue for the neighbour hub.",
                                labels=["hub", "neighbour"])
    for code in neighbours:
        current = states.get(hubnet.shovel_name(code), "absent")
        current = current if current in STATES else "starting"
        up.add_metric([hub, code], 1.0 if current == "running" else 0.0)
        for name in STATES:
            state.add_metric([hub, code, name], 1.0 if name == current else 0.0)
        backlog.add_metric([hub, code], float(depths.get(hubnet.out_queue(code), 0)))
    return [up, state, backlog]


class LinkCollector:
    def __init__(self, hub: str, directory: list[dict], secrets: dict, store_uri: str | None = None,
                 database: str = "lapor_routing"):
        self.hub, self.neighbours = hub, hubnet.neighbours(directory, hub)
        self.management = hublink.Management(secrets["local_management_uri"], timeout=5)
        self.hubs = None
        if store_uri:
            from pymongo import MongoClient
            self.hubs = MongoClient(store_uri, serverSelectionTimeoutMS=2000, connect=False)[database]["hubs"]

    def current_neighbours(self) -> list[str]:
        """This hub's neighbours in the directory as it stands now (the last known if the store is away)."""
        if self.hubs is not None:
            try:
                self.neighbours = hubnet.neighbours(hubnet.stored_directory(self.hubs), self.hub)
            except Exception as exc:  # noqa: BLE001 -- a scrape never fails for the store: last known neighbours
                print(f"hubmetrics: directory not read from the store ({type(exc).__name__}: {exc})",
                      file=sys.stderr, flush=True)
        return self.neighbours

    def collect(self):
        neighbours = self.current_neighbours()
        states = self.management.shovel_states()
        depths = self.management.queue_depths(hubnet.OUT_EXCHANGE + ".")
        yield from link_families(self.hub, neighbours, states, depths)


def main(argv: list[str] | None = None) -> int:
    from prometheus_client import start_http_server

    parser = argparse.ArgumentParser(prog="contract.hubmetrics", description=__doc__.split("\n")[0])
    parser.add_argument("--hub", required=True)
    parser.add_argument("--directory", required=True)
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--store", default=None, help="the hub's store URI: neighbours from routing's directory")
    parser.add_argument("--keep-links", action="store_true",
                        help="put the link users and shovels of hubs that join (contract.hubkeeper; needs --store)")
    args = parser.parse_args(argv)
    try:
        with open(args.directory, encoding="utf-8") as file:
            directory = hublink.load_directory(file.read())
        with open(args.secrets, encoding="utf-8") as file:
            secrets = hublink.load_secrets(file.read())
    except (hublink.LinkError, OSError) as error:
        print(f"hubmetrics: {error}", file=sys.stderr)
        return 2
    collector = LinkCollector(args.hub, directory, secrets, args.store)
    REGISTRY.register(collector)
    if args.keep_links and collector.hubs is not None:
        from contract.hubkeeper import LinkKeeper
        LinkKeeper(args.hub, directory, secrets, collector.hubs.database).start()
    start_http_server(args.port, addr=args.address)
    print(f"hubmetrics: hub {args.hub} link metrics on http://{args.address}:{args.port}/metrics", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())

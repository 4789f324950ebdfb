"""Minimal reproduction: a non-transactional multi-document write wedges the local store when it
meets an open transaction that writes the same collection again (README, Known issues).

Starts a throw-away store (own port, temporary data), then:
  unsafe: client A opens a transaction and updates document 3; client B runs a plain
          ``update_many`` over all documents (conflicts with 3: the store retries it server-side
          without bound); A's next write in its transaction, on the same collection, never returns,
          so A never commits and B never finishes: both wait for each other.
  safe:   the same, but B's ``update_many`` runs in a transaction of its own: the conflict comes
          back at once as a WriteConflict (TransientTransactionError), B's driver retries, A goes on
          and commits, then B's retry succeeds.

    python bench/store_wedge_repro.py
"""
from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

SECANTUSD = Path(sys.executable).parent / "secantusd-py"


def scenario(uri: str, claim_in_transaction: bool) -> str:
    a = MongoClient(uri, socketTimeoutMS=4000)
    b = MongoClient(uri, socketTimeoutMS=4000)
    items = a.repro[f"items_{int(claim_in_transaction)}"]
    items.insert_many([{"_id": i, "status": "queued"} for i in range(10)])
    claimed: list = []

    def claim():
        collection = b.repro[items.name]
        try:
            if claim_in_transaction:
                with b.start_session() as session:
                    session.with_transaction(lambda s: collection.update_many(
                        {"status": "queued"}, {"$set": {"claimed": True}}, session=s))
            else:
                collection.update_many({"status": "queued"}, {"$set": {"claimed": True}})
            claimed.append("claimed")
        except PyMongoError as exc:
            claimed.append(f"claim failed: {type(exc).__name__}")

    with a.start_session() as session:
        session.start_transaction()
        items.update_one({"_id": 3}, {"$set": {"x": 1}}, session=session)
        claimer = threading.Thread(target=claim, daemon=True)
        claimer.start()
        time.sleep(0.5)  # the claim now meets the transaction's uncommitted write
        try:
            items.update_one({"_id": 4}, {"$set": {"y": 1}}, session=session)
            session.commit_transaction()
            transaction = "committed"
        except PyMongoError as exc:
            transaction = f"stuck ({type(exc).__name__} after 4 s)"
    claimer.join(8)
    return f"transaction {transaction}; claim {claimed[0] if claimed else 'still blocked after 8 s'}"


def run_on_fresh_store(claim_in_transaction: bool) -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen([str(SECANTUSD), "--host", "127.0.0.1", "--port", str(port), "--storage-path", data,
                                   "--log-level", "ERROR"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            uri = f"mongodb://127.0.0.1:{port}/?directConnection=true&retryWrites=false"
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    MongoClient(uri, serverSelectionTimeoutMS=500).admin.command("ping")
                    break
                except PyMongoError:
                    time.sleep(0.2)
            return scenario(uri, claim_in_transaction)
        except PyMongoError as exc:
            return f"failed: {type(exc).__name__}: {exc}"[:200]
        finally:
            server.kill()
            server.wait()


def main() -> None:
    print("unsafe (plain update_many):         ", run_on_fresh_store(claim_in_transaction=False))
    print("safe (update_many in a transaction):", run_on_fresh_store(claim_in_transaction=True))


if __name__ == "__main__":
    main()

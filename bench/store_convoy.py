"""Does one transaction's long statement hold up another session's transaction in the local store?

SecantusDB 0.7.0b3 resolves every statement of a transaction (and every commit) under one registry
lock, after pruning the registry, which takes the mutex of every registered transaction in turn; a
transaction's mutex is held while its statement runs and while it commits (issue 23, bench/RESULTS.md).
If so, a trivial transaction on another database waits for the whole of a long statement elsewhere.

Starts a throw-away store (``bench/store_wedge_repro.py``'s: own port, temporary data), fills ``big`` with N
documents, then times a transaction that inserts one document into another database (B):
  alone                    B with nothing else running (median of 5);
  beside A's statement     B started 0.1 s into client A's ``update_many`` over ``big`` inside A's
                           transaction (A's statement alone takes the printed time);
  beside A, plain read     a ``find_one`` outside any transaction on B's database, at the same moment.

    python bench/store_convoy.py [--docs 20000]
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time

from pymongo import MongoClient

import store_wedge_repro  # noqa: E402  (same folder: its throw-away store)


def b_transaction(client: MongoClient) -> float:
    t0 = time.perf_counter()
    with client.start_session() as session:
        session.with_transaction(lambda s: client.other.small.insert_one({"at": time.time()}, session=s))
    return time.perf_counter() - t0


def a_statement(client: MongoClient, out: dict) -> None:
    with client.start_session() as session:
        session.start_transaction()
        t0 = time.perf_counter()
        client.repro.big.update_many({}, {"$inc": {"n": 1}}, session=session)
        out["a"] = time.perf_counter() - t0
        session.abort_transaction()


def scenario(uri: str, docs: int) -> str:
    a, b = MongoClient(uri), MongoClient(uri)
    a.repro.big.insert_many([{"_id": i, "n": 0, "pad": "x" * 100} for i in range(docs)])
    b.other.small.insert_one({"warm": True})
    alone = statistics.median(b_transaction(b) for _ in range(5))
    lines = [f"B's transaction alone: {1000 * alone:.1f} ms (median of 5)"]
    for kind in ("transaction", "plain read"):
        out: dict = {}
        thread = threading.Thread(target=a_statement, args=(a, out))
        thread.start()
        time.sleep(0.1)
        if kind == "transaction":
            took = b_transaction(b)
        else:
            t0 = time.perf_counter()
            b.other.small.find_one({"warm": True})
            took = time.perf_counter() - t0
        thread.join()
        lines.append(f"B's {kind} started 0.1 s into A's update_many of {docs} documents: {1000 * took:.1f} ms "
                     f"(A's statement: {1000 * out['a']:.1f} ms)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=20000)
    args = parser.parse_args()
    store_wedge_repro.scenario = lambda uri, _: scenario(uri, args.docs)  # same throw-away store set-up
    print(store_wedge_repro.run_on_fresh_store(True))


if __name__ == "__main__":
    main()

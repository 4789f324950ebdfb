"""Concurrent upserts of one new document (the rate limiter's window counter, a digest preference):
the local store answers None to all but the first (README, Known issues); contract.store.upsert_and_get
gives each caller the document, so intake's rate limit never fails with a 500 on a burst."""
import eventlet

from contract.store import upsert_and_get


def test_concurrent_upserts_of_one_new_document_each_get_the_document(mongo_client):
    collection = mongo_client.lapor_store_quirks.counters
    for trial in range(5):
        collection.delete_many({})
        pool = eventlet.GreenPool(8)
        answers = list(pool.imap(lambda _: upsert_and_get(collection, {"_id": "window"}, {"$inc": {"count": 1}}),
                                 range(8)))
        assert all(answer is not None and answer["count"] >= 1 for answer in answers), (trial, answers)
        assert collection.find_one({"_id": "window"})["count"] == 8

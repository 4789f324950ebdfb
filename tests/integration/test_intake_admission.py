"""Admission control at intake's front door (issue 23), on the real broker and store: a burst far
above what intake commits within its admission budget is answered at once, the excess refused (503
``overloaded`` with Retry-After, nothing recorded) and the rest accepted and stored once; a refused
report resent with its Idempotency-Key is then recorded once; a request the front door says has
already waited past the budget is refused before any work.

The store is reached through a proxy that delays every request (a slow store: each group commit
takes several round trips of ``STORE_DELAY``) and groups hold two submissions, so that the burst is
above intake's capacity on any machine, however fast, while the budget stays large enough that a
slow, shared machine still admits some (a budget of 0.05 s refused all of them on CI).  The burst
lasts until both an acceptance count and a refusal count are reached (within a ceiling), not for a
fixed time: on CI a 3 s store stall left 4 reports accepted in a fixed 3 s burst.  A submission
admitted before such a stall may end at the commit deadline (503 ``store_unavailable``, which may
still commit, as its message says): allowed, but few."""
import time

import eventlet
import pytest
import requests

from intake.service import IntakeService
from tests.factories import make_report
from tests.integration.conftest import metric, proxy_to_store, through

# 40 clients at once (fewer than the listen backlog of 50: more would wait for the kernel's SYN
# retransmission, 1 s, before intake sees them), each sending reports, its next one as soon as
# answered (after a refusal, a pause: many clients' retries in place of a few's loop), for at least
# BURST_SECONDS and until ENOUGH were accepted and ENOUGH refused as overloaded, or BURST_CEILING
DEADLINE, BUDGET, CLIENTS, PAUSE, STORE_DELAY = 4.0, 0.5, 40, 0.2, 0.02
BURST_SECONDS, BURST_CEILING, ENOUGH = 3.0, 60.0, 5
REFUSED_WAITED = 'lapor_http_admission_refused_total{reason="waited",service="intake"}'


def resend(base, report, key, attempts: int = 10):
    """As a client does: send with the Idempotency-Key until it is not refused, waiting Retry-After
    between (after a burst the admitted submissions may still hold the store: on a slow machine the
    first resend was refused too)."""
    for _ in range(attempts):
        answer, _ = post(base, report, key)
        if answer.status_code != 503:
            return answer
        time.sleep(int(answer.headers["Retry-After"]))
    return answer


def post(base, report, key=None, headers=None, session=requests):
    t0 = time.monotonic()
    answer = session.post(f"{base}/reports", json=report, timeout=30,
                           headers={**({"Idempotency-Key": key} if key else {}), **(headers or {})})
    return answer, time.monotonic() - t0


@pytest.fixture
def slow_store(servers):
    """The store behind a proxy that delays every request by STORE_DELAY (set up before intake and
    so stopped after it: a service stopping with its store gone waits for it)."""
    proxy = proxy_to_store(servers, delay=STORE_DELAY)
    yield proxy
    proxy.stop()


def test_an_overloaded_intake_refuses_the_excess_at_once_and_still_accepts(slow_store, start_services, service_config,
                                                                          mongo_client):
    config = {**service_config, "MONGODB_URI": through(slow_store, service_config["MONGODB_URI"]), "RATE_LIMIT_EXEMPT": "127.0.0.1,::1",
              "GROUP_COMMIT_DEADLINE_SECONDS": DEADLINE, "GROUP_COMMIT_ADMISSION_SECONDS": BUDGET,
              "GROUP_COMMIT_CONCURRENCY": 1, "GROUP_COMMIT_MAX_SIZE": 2}
    base = start_services(IntakeService, config=config)["intake"]
    overloaded(base, mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"].reports)


def overloaded_refusal(answer):
    return answer.status_code == 503 and answer.json()["errors"][0]["code"] == "overloaded"


def burst(base):
    """CLIENTS clients sending reports for at least BURST_SECONDS, until ENOUGH were accepted and
    ENOUGH refused as overloaded (at most BURST_CEILING): [(report, key), (answer, seconds)] of each."""
    answers, start = [], time.monotonic()

    def going():
        now = time.monotonic() - start
        if now < BURST_SECONDS:
            return True
        accepted = sum(1 for _, (answer, _) in answers if answer.status_code == 201)
        refused = sum(1 for _, (answer, _) in answers if overloaded_refusal(answer))
        return now < BURST_CEILING and (accepted < ENOUGH or refused < ENOUGH)

    def client(number):
        # one kept-alive connection per client: what a refusal costs is the server's answer, not new
        # connections' SYNs dropped by a full listen backlog and resent after 1 s and 3 s (CI: the
        # slowest tenth of the refusals took 2.98 s, a SYN's second retransmission)
        session = requests.Session()
        sent = 0
        while going():
            item = (make_report(title=f"Laporan serbuan {number}-{sent}"), f"admission-burst-{number}-{sent}")
            answer, took = post(base, *item, session=session)
            answers.append((item, (answer, took)))
            sent += 1
            if answer.status_code != 201:
                eventlet.sleep(PAUSE)

    pool = eventlet.GreenPool(CLIENTS)
    for number in range(CLIENTS):
        pool.spawn(client, number)
    pool.waitall()
    return answers


def overloaded(base, reports):
    for i in range(3):  # the committer measures its commit rate on these
        assert post(base, make_report(title=f"Laporan pemanasan {i}"))[0].status_code == 201

    answers = burst(base)
    codes = [answer.status_code for _, (answer, _) in answers]
    accepted = [(item, answer) for item, (answer, _) in answers if answer.status_code == 201]
    refused = [(item, answer, took) for item, (answer, took) in answers if overloaded_refusal(answer)]
    assert set(codes) <= {201, 503}, [a.text for _, (a, _) in answers if a.status_code not in (201, 503)][:3]
    assert len(accepted) >= ENOUGH and len(refused) >= ENOUGH, (len(accepted), len(refused))
    late = [answer for _, (answer, _) in answers if answer.status_code == 503 and not overloaded_refusal(answer)]
    for answer in late:  # admitted, then the commit deadline passed (a store stall): the outage answer
        assert answer.json()["errors"][0]["code"] == "store_unavailable", answer.text
    for answer in [a for _, a, _ in refused] + late:
        assert int(answer.headers["Retry-After"]) >= 1
    # refused at arrival, not at the commit deadline: most refusals are "overloaded", not the
    # deadline's "store_unavailable", and half are answered within half the deadline. Only the median
    # is bounded: a refusal's time as the client sees it also holds its wait for one of intake's
    # workers and, here, for the test process itself (the 40 clients share its CPU with intake). With
    # the lanes beside it the median took 0.22-0.86 s and the slowest tenth up to 4.3 s on CI, past
    # the deadline, though each was refused before any work. The refusal's latency is a figure of
    # bench/e2e.py (refusal p50/p99), not of this test.
    assert len(late) <= len(refused) // 4, (len(late), len(refused))
    times = sorted(took for _, _, took in refused)
    assert times[len(times) // 2] < DEADLINE / 2, [round(t, 2) for t in times[len(times) // 2:]]
    for _, answer in accepted:  # every accepted report stored once
        assert reports.count_documents({"_id": answer.json()["tracking_id"]}) == 1
    titles = {item[0]["title"] for item, _, _ in refused}
    assert reports.count_documents({"title": {"$in": sorted(titles)}}) == 0  # nothing refused was recorded

    (report, key), _, _ = refused[0]  # the client resends after Retry-After: recorded once
    first = resend(base, report, key)
    again, _ = post(base, report, key)
    # 200: a resend refused at its commit deadline (store_unavailable) was committed after all, and the
    # next resend is answered from the idempotency key
    assert first.status_code in (201, 200) and again.status_code == 200, (first.text, again.text)
    assert again.json()["tracking_id"] == first.json()["tracking_id"]
    assert reports.count_documents({"title": report["title"]}) == 1

    before = metric(base, REFUSED_WAITED)  # the front door had it 1 s ago: refused before any work
    stale, took = post(base, make_report(title="Laporan yang sudah menunggu"),
                       headers={"X-Request-Start": f"t={time.time() - 1.0:.3f}"})
    assert stale.status_code == 503 and stale.json()["errors"][0]["code"] == "overloaded"
    assert metric(base, REFUSED_WAITED) == before + 1
    assert reports.count_documents({"title": "Laporan yang sudah menunggu"}) == 0

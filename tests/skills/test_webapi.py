"""The web API skill against a local custom skill endpoint (enrich.testing.webapi_server):
Azure's contract, batching, retries, timeouts, record errors and warnings, env headers."""

import math

import pytest

import skills.webapi as webapi
from enrich.testing.webapi_server import SkillServer, upper_words
from skills.base import WARNINGS, SkillError, SkillUnavailable
from skills.webapi import WebApiSkill
from skills.webapi_params import WebApiConfigError, parse_duration

LOCAL = ["127.0.0.1"]


def skill(server, **params):
    return WebApiSkill(uri=server.url(), allowed_hosts=LOCAL, backoff=0.001, **params)


@pytest.fixture
def waits(monkeypatch):
    """The seconds tenacity waited between attempts (never really slept)."""
    seen = []
    monkeypatch.setattr(webapi, "_sleep", seen.append)
    return seen


def test_the_request_and_answer_follow_azures_contract():
    with SkillServer() as server:
        results = skill(server).run([{"text": "red fox"}, {"text": "blue sky now"}])
    assert results == [{"words": ["RED", "FOX"], "count": 2},
                       {"words": ["BLUE", "SKY", "NOW"], "count": 3}]
    (request,) = server.requests
    assert request.method == "POST" and request.path == "/skill"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {"values": [{"recordId": "0", "data": {"text": "red fox"}},
                                       {"recordId": "1", "data": {"text": "blue sky now"}}]}


def test_put_and_the_answer_order_does_not_matter():
    with SkillServer(reverse=True) as server:
        results = skill(server, httpMethod="PUT").run([{"text": "a"}, {"text": "b c"}])
    assert [r["count"] for r in results] == [1, 2]
    assert server.requests[0].method == "PUT"


@pytest.mark.parametrize("records,size", [(7, 3), (6, 3), (1, 5), (10, 1)])
def test_records_go_batch_size_at_a_time(records, size):
    with SkillServer() as server:
        results = skill(server, batchSize=size, degreeOfParallelism=3).run(
            [{"text": f"word{n}"} for n in range(records)])
    assert len(server.requests) == math.ceil(records / size)
    assert all(len(r.body["values"]) <= size for r in server.requests)
    assert [r["words"] for r in results] == [[f"WORD{n}"] for n in range(records)]


def test_429_and_503_are_retried_honouring_retry_after(waits):
    with SkillServer() as server:
        server.script += [(429, {"Retry-After": "2"}, b"slow down"), (503, {}, b"")]
        results = skill(server, max_attempts=3).run([{"text": "x"}])
    assert results == [{"words": ["X"], "count": 1}]
    assert len(server.requests) == 3
    assert waits == [2.0, 0.002]  # Retry-After, then backoff * 2 ** 1


def test_retries_are_bounded_and_the_records_fail_with_the_reason(waits):
    with SkillServer() as server:
        server.script += [(503, {}, b"busy")] * 5
        results = skill(server, max_attempts=2, batchSize=1).run([{"text": "x"}, {"text": "y"}])
    assert len(server.requests) == 4  # 2 batches, 2 attempts each
    assert all(isinstance(r, SkillError) and r.transient for r in results)
    assert "HTTP 503: busy" in results[0].message and "tried 2 times" in results[0].message
    assert waits == [0.001, 0.001]


def test_a_retry_after_beyond_max_backoff_fails_at_once(waits):
    with SkillServer() as server:
        server.script += [(429, {"Retry-After": "3600"}, b"")]
        (result,) = skill(server, max_backoff=10).run([{"text": "x"}])
    assert len(server.requests) == 1 and waits == []
    assert "3600 s, more than max_backoff" in result.message


def test_other_4xx_answers_are_not_retried(waits):
    with SkillServer() as server:
        server.script += [(401, {}, b"bad key")]
        (result,) = skill(server).run([{"text": "x"}])
    assert len(server.requests) == 1 and waits == []
    assert isinstance(result, SkillError) and not result.transient
    assert "HTTP 401: bad key" in result.message


def test_a_slow_endpoint_times_out():
    with SkillServer(delay=1.0) as server:
        (result,) = skill(server, timeout="PT0.2S", max_attempts=1).run([{"text": "x"}])
    assert isinstance(result, SkillError) and "timed out after 0.2 s" in result.message


def test_a_dead_endpoint_fails_the_records_with_the_reason(waits):
    with SkillServer() as server:
        uri = server.url()
    (result,) = WebApiSkill(uri=uri, allowed_hosts=LOCAL, backoff=0.001).run([{"text": "x"}])
    assert isinstance(result, SkillError) and "cannot connect" in result.message
    assert len(waits) == 2  # connection errors are retried too


def test_record_errors_warnings_and_missing_records():
    def answer(data):
        return None if data["text"] == "lost" else upper_words(data)

    with SkillServer(answer) as server:
        ok, failed, warned, lost = skill(server).run(
            [{"text": "fine"}, {"text": "FAIL"}, {"text": "WARN me"}, {"text": "lost"}])
    assert ok == {"words": ["FINE"], "count": 1}
    assert isinstance(failed, SkillError) and "cannot read this text" in failed.message
    assert warned["words"] == ["WARN", "ME"]
    assert warned[WARNINGS] == ["this text asked for a warning"]
    assert isinstance(lost, SkillError) and "no record with this recordId" in lost.message


@pytest.mark.parametrize("payload,reason", [(b"not json", "not JSON"),
                                            (b'{"value": []}', "no 'values' list")])
def test_an_answer_outside_the_contract_fails_its_records(payload, reason):
    with SkillServer() as server:
        server.script += [(200, {"Content-Type": "application/json"}, payload)]
        (result,) = skill(server).run([{"text": "x"}])
    assert isinstance(result, SkillError) and reason in result.message


def test_an_input_that_is_not_json_fails_alone():
    with SkillServer() as server:
        picture, text = skill(server).run([{"text": b"\x89PNG"}, {"text": "ok"}])
    assert isinstance(picture, SkillError) and "JSON" in picture.message
    assert text == {"words": ["OK"], "count": 1}
    assert len(server.requests[0].body["values"]) == 1


def test_headers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEBAPI_TEST_KEY", "k-123")
    with SkillServer() as server:
        skill(server, httpHeaders={"x-functions-key": "${WEBAPI_TEST_KEY}",
                                   "x-team": "ops-${WEBAPI_TEST_KEY}"}).run([{"text": "x"}])
    headers = server.requests[0].headers
    assert headers["x-functions-key"] == "k-123" and headers["x-team"] == "ops-k-123"


def test_a_missing_variable_names_itself_and_never_a_secret(monkeypatch):
    monkeypatch.setenv("WEBAPI_TEST_PRESENT", "s3cret-value")
    monkeypatch.delenv("WEBAPI_TEST_ABSENT", raising=False)
    headers = {"x-a": "${WEBAPI_TEST_PRESENT}", "x-b": "${WEBAPI_TEST_ABSENT}"}
    with pytest.raises(WebApiConfigError) as error:
        WebApiSkill(uri="https://example.com/x", httpHeaders=headers)
    assert "WEBAPI_TEST_ABSENT" in str(error.value) and "x-b" in str(error.value)
    assert "s3cret" not in str(error.value) and error.value.code == "E860"


def test_a_variable_gone_by_warm_up_disables_the_skill(monkeypatch):
    monkeypatch.setenv("WEBAPI_TEST_KEY", "k")
    made = WebApiSkill(uri="https://example.com/x", httpHeaders={"k": "${WEBAPI_TEST_KEY}"})
    monkeypatch.delenv("WEBAPI_TEST_KEY")
    with pytest.raises(SkillUnavailable, match="WEBAPI_TEST_KEY"):
        made.warm_up()


@pytest.mark.parametrize("params,message", [
    ({"uri": "ftp://example.com/x"}, "http(s) URL"),
    ({"uri": "https://example.com", "httpMethod": "GET"}, "POST or PUT"),
    ({"uri": "https://example.com", "timeout": "soon"}, "ISO 8601"),
    ({"uri": "https://example.com", "batchSize": 0}, "batchSize"),
    ({"uri": "https://example.com", "degreeOfParallelism": 11}, "from 1 to 10"),
    ({"uri": "https://example.com", "httpHeaders": {"Host": "x"}}, "may not set ['Host']"),
    ({"uri": "https://example.com", "allowed_hosts": "example.com"}, "is a list"),
    ({"uri": "https://example.com", "batchsize": 3}, "unknown parameters ['batchsize']"),
])
def test_bad_parameters_are_config_errors(params, message):
    with pytest.raises(WebApiConfigError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        WebApiSkill(**params)


@pytest.mark.parametrize("value,seconds", [("PT30S", 30), ("PT1M30S", 90), ("PT0.5S", 0.5),
                                           ("P1DT1H", 90000), (12, 12), ("7", 7)])
def test_timeouts_read_as_azure_writes_them(value, seconds):
    assert parse_duration(value) == seconds


def test_the_skill_is_not_cached_and_names_its_endpoint():
    made = WebApiSkill(uri="https://example.com/api/words")
    assert WebApiSkill.cacheable is False and made.model == "https://example.com/api/words"


@pytest.mark.parametrize("header", ["x-functions-key", "Authorization", "api-key",
                                    "X-Auth-Token"])
def test_a_credential_written_into_the_skillset_is_refused(header):
    with pytest.raises(WebApiConfigError, match="from the environment") as error:
        WebApiSkill(uri="https://example.com/x", httpHeaders={header: "pasted-s3cret"})
    assert "pasted-s3cret" not in str(error.value) and header in str(error.value)
    WebApiSkill(uri="https://example.com/x", httpHeaders={"x-team": "search"})  # not a secret


def test_an_answer_larger_than_max_answer_bytes_fails_its_records():
    with SkillServer() as server:
        small = skill(server, max_answer_bytes=1000).run([{"text": "short"}])
        (large,) = skill(server, max_answer_bytes=1000).run([{"text": "word " * 300}])
    assert small == [{"words": ["SHORT"], "count": 1}]
    assert isinstance(large, SkillError) and "larger than max_answer_bytes (1000)" in large.message


def test_a_key_in_the_uri_comes_from_the_environment_and_is_never_shown(monkeypatch, waits):
    query_key = r"carries a key in its query \(\['code'\]\)"
    with pytest.raises(WebApiConfigError, match=query_key) as error:
        WebApiSkill(uri="https://fn.example.com/api/words?code=pasted-s3cret")
    assert "pasted-s3cret" not in str(error.value)
    monkeypatch.setenv("WEBAPI_TEST_CODE", "c0de-s3cret")
    with SkillServer() as server:
        made = WebApiSkill(uri=server.url() + "?code=${WEBAPI_TEST_CODE}&v=1",
                           allowed_hosts=LOCAL, max_attempts=1)
        assert made.run([{"text": "x"}]) == [{"words": ["X"], "count": 1}]
        server.script.append((401, {}, b"no"))
        (failed,) = made.run([{"text": "x"}])
    assert server.requests[0].path == "/skill?code=c0de-s3cret&v=1"
    assert made.model == server.url() + "?..." and "s3cret" not in failed.message


def test_timeout_is_a_deadline_for_the_whole_answer(waits):
    """httpx's timeouts are per read: a body trickled a byte at a time never trips them."""
    with SkillServer(trickle=0.05) as server:
        server.script += [(200, {"Content-Type": "application/json"},
                           b'{"values": []}' + b" " * 60)] * 2  # about 4 s, trickled
        (result,) = skill(server, timeout="PT0.5S", max_attempts=2).run([{"text": "x"}])
    assert isinstance(result, SkillError) and result.transient
    assert "timed out after 0.5 s (tried 2 times)" in result.message
    assert len(server.requests) == 2 and len(waits) == 1  # retried, as timeouts are


@pytest.mark.parametrize("answer", [
    (200, {"Content-Encoding": "gzip"}, b"this is not gzip"),
    (307, {"Location": "http://127.0.0.1:99999/x"}, b""),  # a port urlsplit refuses
    (200, {"Content-Type": "application/json"}, b"[" * 100_000),
])
def test_a_broken_answer_fails_the_batch_and_never_escapes_run(answer, waits):
    """An exception out of run() makes the engine call the skill once per record."""
    with SkillServer() as server:
        server.script.append(answer)
        results = skill(server, max_attempts=3).run([{"text": "x"}, {"text": "y"}])
    assert all(isinstance(r, SkillError) and not r.transient for r in results), results
    assert len(server.requests) == 1 and waits == []

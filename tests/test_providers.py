"""Provider adapters against the scripted reference server: timing, faults, retries, secrecy.

Bounds on times are loose (±25 ms) so a busy CI machine is not flaky; the
precise accuracy is the bench's job. Every fault must come back as a ChatResult,
never as an exception, with the right class and the right number of attempts.
"""

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from collectors.providers import get_provider
from collectors.providers.base import ERROR_CLASSES, ChatRequest, Provider, check_serves
from dead_endpoints import closed_port_url, unresponsive_endpoint
from reference_server import ReferenceServer
from core.errors import GapWatchError
from core import provider_kinds

KEY = "sk-test-" + "Zq8" * 10
KINDS = ["openai-compatible", "anthropic"]
SLACK_S = 0.025
PROMPT = [{"role": "system", "content": "answer briefly"}, {"role": "user", "content": "say five words"}]


@pytest.fixture(scope="module")
def server():
    with ReferenceServer() as running:
        yield running


@pytest.fixture
def name(request):
    """A model name tagged with this test's id, so request counts on the shared server are per test."""
    return lambda model: f"{model}:{request.node.name}"


@pytest.fixture(autouse=True)
def key_in_environment(monkeypatch):
    """As in production: the key lives in an environment variable and is passed as api_key."""
    monkeypatch.setenv("GAPWATCH_TEST_API_KEY", KEY)


@pytest.fixture
def make():
    """Open providers with test-sized timeouts and backoff; close them after the test."""
    opened = []

    def open_provider(kind: str, base_url: str, **options):
        options = {"timeout_s": 2.0, "connect_timeout_s": 0.5, "backoff_s": 0.05, **options}
        opened.append(provider := get_provider(kind)(base_url, KEY, **options))
        return provider

    yield open_provider
    for provider in opened:
        provider.close()


def ask(provider, model: str, stream: bool = True):
    return provider.chat(ChatRequest(model=model, messages=PROMPT, max_tokens=32, stream=stream))


def warm(provider) -> None:
    """An SDK's first call in a process is 30-60 ms slower (lazy imports, first connection)."""
    assert ask(provider, "ref-n1").error_class is None


@pytest.mark.parametrize("kind", KINDS)
def test_ttft_and_inter_chunk_times_match_injected_delays(kind, server, name, make):
    provider = make(kind, server.base_url)
    warm(provider)
    result = ask(provider, name("ref-ttft80-itl50-n6"))
    assert (result.error_class, result.text) == (None, "t0 t1 t2 t3 t4 t5 ")
    assert result.ttft_s == pytest.approx(0.080, abs=SLACK_S)
    assert len(result.chunk_times_s) == 6 and result.chunk_times_s[0] == result.ttft_s
    gaps = [b - a for a, b in zip(result.chunk_times_s, result.chunk_times_s[1:])]
    assert all(gap == pytest.approx(0.050, abs=SLACK_S) for gap in gaps), gaps  # not buffered
    assert result.e2e_s >= result.chunk_times_s[-1]


@pytest.mark.parametrize("kind", KINDS)
def test_each_chunk_arrives_as_the_server_sends_it(kind, server, name, make):
    provider = make(kind, server.base_url)
    warm(provider)
    result = ask(provider, name("ref-ttft20-itl30-n5"))
    sent = server.sent_for(name("ref-ttft20-itl30-n5"))[0].sent
    client = [t - result.chunk_times_s[0] for t in result.chunk_times_s]
    assert [t - sent[0] for t in sent] == pytest.approx(client, abs=SLACK_S)


@pytest.mark.parametrize("kind", KINDS)
def test_slow_client_side_parsing_is_not_counted_as_model_latency(kind, server, name, make, monkeypatch):
    """Times come from the wire (wire_clock): 25 ms of SDK work per event is not TTFT or ITL, as
    long as the SDK keeps up between chunks (Anthropic's stream opens with two events, 50 ms of
    work before the first token is due at 80 ms). Stamped after parsing, each would be 25 ms late."""
    provider = make(kind, server.base_url)
    warm(provider)
    process = type(provider.client)._process_response_data

    def slow_process(self, *args, **kwargs):
        time.sleep(0.025)
        return process(self, *args, **kwargs)

    monkeypatch.setattr(type(provider.client), "_process_response_data", slow_process)
    result = ask(provider, name("ref-ttft80-itl100-n4"))
    assert result.error_class is None and result.ttft_s == pytest.approx(0.080, abs=0.015)
    gaps = [b - a for a, b in zip(result.chunk_times_s, result.chunk_times_s[1:])]
    assert all(gap == pytest.approx(0.100, abs=0.015) for gap in gaps), gaps


@pytest.mark.parametrize("kind", KINDS)
def test_non_streaming_has_no_ttft_but_the_full_answer(kind, server, make):
    result = ask(make(kind, server.base_url), "ref-ttft40-itl10-n4", stream=False)
    assert (result.error_class, result.text, result.output_tokens) == (None, "t0 t1 t2 t3 ", 4)
    assert result.ttft_s is None and result.chunk_times_s == []
    assert result.e2e_s >= 0.070 and result.http_status == 200


@pytest.mark.parametrize("kind", KINDS)
def test_usage_gives_token_counts_and_the_served_model(kind, server, name, make):
    result = ask(make(kind, server.base_url), name("ref-n7"))
    # Anthropic's reference endpoint refuses a "system" turn: counting it proves it went to system=.
    assert (result.input_tokens, result.output_tokens) == (5, 7)
    assert result.served_model == name("ref-n7") and result.http_status == 200
    if kind == "openai-compatible":
        assert result.server_timings["predicted_n"] == 7  # llama.cpp's `timings`, passed through


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_no_usage_is_success_with_unknown_token_counts(kind, stream, server, make):
    result = ask(make(kind, server.base_url), "fault-no-usage", stream=stream)
    assert (result.error_class, result.text) == (None, "t0 t1 t2 t3 t4 ")
    assert (result.input_tokens, result.output_tokens) == (None, None)


FAULTS = [  # model, error class, attempts with max_attempts=2, HTTP status
    ("fault-429", "rate_limited", 2, 429),
    ("fault-500", "server_error", 2, 500),
    ("fault-401", "auth_error", 1, 401),
    ("fault-unknown-model", "unknown_model", 1, 404),
    ("fault-truncate", "truncated_stream", 1, 200),
    ("fault-early-end", "truncated_stream", 1, 200),
    ("fault-bad-json", "invalid_chunk", 1, 200),
    ("fault-bad-shape", "invalid_chunk", 1, 200),
    ("fault-stream-error", "server_error", 2, 200),  # an error event inside a 200 stream: retried
    ("fault-stall", "read_timeout", 1, 200),
]


@pytest.mark.parametrize("model, error_class, attempts, status", FAULTS, ids=[f[0] for f in FAULTS])
@pytest.mark.parametrize("kind", KINDS)
def test_fault_ends_as_a_failed_result_retried_only_when_worth_it(kind, model, error_class, attempts,
                                                                  status, server, name, make):
    result = ask(make(kind, server.base_url, timeout_s=0.5, max_attempts=2), name(model))
    assert (result.error_class, result.attempts, result.http_status) == (error_class, attempts, status)
    assert len(server.arrivals[name(model)]) == attempts
    assert result.error and "\n" not in result.error and len(result.error) < 300
    assert KEY not in result.error and result.error_class in ERROR_CLASSES


@pytest.mark.parametrize("kind", KINDS)
def test_a_cut_or_stalled_stream_keeps_what_arrived(kind, server, make):
    provider = make(kind, server.base_url, timeout_s=0.3)
    truncated, stalled = ask(provider, "fault-truncate"), ask(provider, "fault-stall")
    assert truncated.text == stalled.text == "t0 t1 " and len(stalled.chunk_times_s) == 2
    assert stalled.e2e_s == pytest.approx(0.3, abs=0.15)  # the read timeout, not the 30 s stall


@pytest.mark.parametrize("kind", KINDS)
def test_rate_limit_then_ok_honours_retry_after(kind, server, name, make):
    result = ask(make(kind, server.base_url), name("fault-429-then-ok"))
    assert (result.error_class, result.attempts, result.text) == (None, 2, "t0 t1 t2 t3 t4 ")
    first, second = server.arrivals[name("fault-429-then-ok")]
    assert second - first >= 0.95  # Retry-After: 1


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_server_error_then_ok_succeeds_on_the_second_attempt(kind, stream, server, name, make):
    result = ask(make(kind, server.base_url), name("fault-500-then-ok"), stream=stream)
    assert (result.error_class, result.attempts, result.output_tokens) == (None, 2, 5)


@pytest.mark.parametrize("kind", KINDS)
def test_backoff_grows_between_retries(kind, server, name, make):
    ask(make(kind, server.base_url, max_attempts=4, backoff_s=0.05), name("fault-500"))
    times = server.arrivals[name("fault-500")]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(gaps) == 3
    assert all(gap >= 0.05 * 2 ** i - 0.005 for i, gap in enumerate(gaps)), gaps


@pytest.mark.parametrize("kind", KINDS)
def test_connect_timeout_is_told_apart_and_retried(kind, make):
    with unresponsive_endpoint() as base_url:
        result = ask(make(kind, base_url, connect_timeout_s=0.2, max_attempts=2), "ref")
    assert (result.error_class, result.attempts, result.http_status) == ("connect_timeout", 2, None)
    assert result.e2e_s == pytest.approx(0.2, abs=0.15)


@pytest.mark.parametrize("kind", KINDS)
def test_refused_connection_is_a_connection_error(kind, make):
    result = ask(make(kind, closed_port_url(), max_attempts=2), "ref")
    assert (result.error_class, result.attempts) == ("connection_error", 2)


@pytest.mark.parametrize("kind", KINDS)
def test_a_key_echoed_back_by_the_server_never_reaches_the_error(kind, server, make):
    for stream in (True, False):
        result = ask(make(kind, server.base_url), "fault-401", stream=stream)
        assert result.error_class == "auth_error"
        assert "Incorrect API key provided" in result.error and KEY not in result.error
        assert KEY[:20] not in result.error  # not even a cut-off prefix


@pytest.mark.parametrize("kind", KINDS)
def test_check_serves_refuses_an_endpoint_serving_another_model(kind, make):
    with ReferenceServer(models=["other-model"]) as other:
        provider = make(kind, other.base_url)
        check_serves(provider, "other-model")
        refusal = r"serves \['other-model'\], not the configured model ref-model"
        with pytest.raises(GapWatchError, match=refusal):
            check_serves(provider, "ref-model")


@pytest.mark.parametrize("kind", KINDS)
def test_unreachable_endpoint_cannot_list_models(kind, make):
    url = closed_port_url()
    with pytest.raises(GapWatchError, match=f"endpoint {url}: cannot list models: .*refused") as caught:
        make(kind, url, max_attempts=1).served_models()
    assert KEY not in str(caught.value)


def test_count_tokens_uses_llama_cpp_tokenize(server, make):
    assert make("openai-compatible", server.base_url).count_tokens("one two three four") == 4
    assert make("openai-compatible", f"{server.root_url}/elsewhere/v1").count_tokens("x y") is None
    assert make("anthropic", server.base_url).count_tokens("one two") is None


def test_registry_maps_local_to_the_openai_adapter_and_rejects_unknown_kinds():
    assert get_provider("local") is get_provider("openai-compatible")
    assert get_provider("anthropic").kind == "anthropic"
    with pytest.raises(GapWatchError, match="unknown provider kind 'grpc'"):
        get_provider("grpc")


def test_every_registered_kind_has_its_adapter_class():
    for name, kind in provider_kinds.KINDS.items():
        cls = get_provider(name)
        assert cls.__module__ == f"collectors.providers.{kind.adapter}" and issubclass(cls, Provider)


def test_thirty_two_concurrent_streams_all_complete_on_time(server, name, make):
    provider = make("openai-compatible", server.base_url)
    warm(provider)
    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(lambda _: ask(provider, name("ref-ttft50-itl10-n10")), range(32)))
    assert [r.error_class for r in results] == [None] * 32
    assert all(len(r.chunk_times_s) == 10 for r in results)
    # Loose: on 2 cores the 32 client threads compete with the server for CPU.
    late = [sent - due for s in server.sent_for(name("ref-ttft50-itl10-n10"))
            for due, sent in zip(s.scheduled, s.sent)]
    assert len(late) == 320 and statistics.median(late) < SLACK_S

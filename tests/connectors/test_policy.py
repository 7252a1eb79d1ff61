import random
from collections.abc import Callable

import pytest

from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TransientError,
    Unreachable,
    network_reason,
)
from connectors.policy import (
    COMMON_RULES,
    Action,
    Failure,
    RateLimiter,
    RetryPolicy,
    Signal,
    run_with_policy,
    single_attempt,
)

POLICY = RetryPolicy(COMMON_RULES, max_attempts=4, base_delay=0.1, max_delay=5)


@pytest.mark.parametrize(
    ("signal", "action"),
    [
        (Signal(status=429), Action.RATE_LIMITED),
        (Signal(status=401), Action.REFRESH_TOKEN),
        (Signal(status=500), Action.RETRY),
        (Signal(status=503), Action.RETRY),
        (Signal(status=408), Action.RETRY),
        (Signal(exception="ConnectionError"), Action.RETRY),
        (Signal(exception="Timeout"), Action.RETRY),
        (Signal(status=400), Action.FAIL),
        (Signal(status=404), Action.FAIL),
        (Signal(), Action.FAIL),
    ],
)
def test_common_rules_table(signal: Signal, action: Action) -> None:
    assert POLICY.resolve(signal).action is action


def test_retry_after_header_is_read_case_insensitively() -> None:
    assert POLICY.resolve(Signal(status=429, headers={"retry-after": "7"})).retry_after == 7.0


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(1)
    delays = [POLICY.backoff(n, rng) for n in range(1, 10)]
    assert delays[0] <= 0.1
    assert max(delays) <= 5
    assert delays[5] > delays[0]


def _failing(errors: list[Failure]) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "ok"

    return calls, call


def _fail(status: int, error: type[ConnectorError] = TransientError, **headers: str) -> Failure:
    return Failure(
        Signal(status=status, headers=headers), error("boom", vendor="test", status=status)
    )


def test_given_two_server_errors_when_running_then_third_attempt_succeeds() -> None:
    sleeps: list[float] = []
    calls, call = _failing([_fail(500), _fail(502)])
    assert run_with_policy(call, POLICY, sleep=sleeps.append) == "ok"
    assert len(calls) == 3
    assert len(sleeps) == 2


def test_given_429_with_retry_after_when_running_then_waits_what_vendor_said() -> None:
    sleeps: list[float] = []
    _, call = _failing([_fail(429, RateLimited, **{"Retry-After": "2"})])
    run_with_policy(call, POLICY, sleep=sleeps.append)
    assert sleeps == [2.0]


def test_given_401_when_running_then_refreshes_once_and_retries() -> None:
    refreshed: list[int] = []
    _, call = _failing([_fail(401)])
    assert run_with_policy(call, POLICY, refresh=lambda: refreshed.append(1)) == "ok"
    assert refreshed == [1]


def test_given_401_twice_when_running_then_auth_error() -> None:
    _, call = _failing([_fail(401), _fail(401)])
    with pytest.raises(AuthError):
        run_with_policy(call, POLICY, refresh=lambda: None, sleep=lambda _: None)


def test_given_400_when_running_then_fails_at_once_as_permanent() -> None:
    calls, call = _failing([_fail(400)])
    with pytest.raises(PermanentError):
        run_with_policy(call, POLICY, sleep=lambda _: None)
    assert len(calls) == 1


def test_given_endless_5xx_when_attempts_run_out_then_retryable_error_surfaces() -> None:
    calls, call = _failing([_fail(500) for _ in range(10)])
    with pytest.raises(TransientError) as caught:
        run_with_policy(call, POLICY, sleep=lambda _: None)
    assert caught.value.retryable
    assert len(calls) == POLICY.max_attempts


def _no_connection() -> Failure:
    refused = ConnectionRefusedError(111, "Connection refused")
    try:
        try:
            raise refused
        except OSError as exc:
            raise RuntimeError("Max retries exceeded (Caused by NewConnectionError)") from exc
    except RuntimeError as wrapper:
        failure = Failure(
            Signal(exception="ConnectionError"), TransientError("could not reach", vendor="test")
        )
        failure.__cause__ = wrapper
        return failure


def test_a_connection_that_fails_every_attempt_surfaces_as_unreachable() -> None:
    calls, call = _failing([_no_connection() for _ in range(10)])
    with pytest.raises(Unreachable) as caught:
        run_with_policy(call, POLICY, sleep=lambda _: None)
    assert len(calls) == POLICY.max_attempts
    assert caught.value.retryable  # still a TransientError: a job may re-queue itself
    assert network_reason(caught.value) == "connection refused"


def test_a_connection_that_comes_back_is_no_error() -> None:
    _, call = _failing([_no_connection(), _no_connection()])
    assert run_with_policy(call, POLICY, sleep=lambda _: None) == "ok"


def test_endless_timeouts_stay_transient_not_unreachable() -> None:
    timeout = Failure(Signal(exception="Timeout"), TransientError("slow", vendor="test"))
    _, call = _failing([timeout] * 10)
    with pytest.raises(TransientError) as caught:
        run_with_policy(call, POLICY, sleep=lambda _: None)
    assert not isinstance(caught.value, Unreachable)


def test_single_attempt_tries_once_whatever_the_policy_but_still_refreshes_a_token() -> None:
    calls, call = _failing([_fail(500), _fail(500)])
    with single_attempt(), pytest.raises(TransientError):
        run_with_policy(call, POLICY, sleep=lambda _: None)
    assert len(calls) == 1

    refreshed: list[int] = []
    _, call = _failing([_fail(401)])
    with single_attempt():
        assert run_with_policy(call, POLICY, refresh=lambda: refreshed.append(1)) == "ok"
    assert refreshed == [1]

    calls, call = _failing([_fail(500), _fail(500)])  # outside the block: the policy again
    assert run_with_policy(call, POLICY, sleep=lambda _: None) == "ok"
    assert len(calls) == 3


def test_network_reason_names_the_cause_under_the_sdk_wrappers_or_none() -> None:
    assert network_reason(_no_connection()) == "connection refused"
    assert network_reason(TransientError("HTTP 503", vendor="test")) is None


def test_rate_limiter_spaces_calls() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(rate=10, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        with limiter:
            pass
    assert sum(slept) == pytest.approx(0.4)

"""A real redis-server for the Redis store tests, started once per module and emptied
before each test; skipped, saying what to install, where Debian's redis-server is absent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import REDIS_SERVER, RedisServer, have_redis, running_redis

NO_REDIS = (
    f"{REDIS_SERVER} not found: install Debian's redis-server (apt-get install redis-server) "
    "to run the Redis store tests; .ci/run does"
)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if not have_redis():
        pytest.skip(NO_REDIS)
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    import redis

    client = redis.Redis.from_url(redis_server.url)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_server.url

"""The Redis cache backend of production (dxportal.cache) against the real Redis at 127.0.0.1:6379."""

import os
import secrets
import socket

import pytest

from dxportal.cache import RedisCache

REDIS = ("127.0.0.1", 6379)


def redis_is_running() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def redis_cache():
    if not redis_is_running():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Redis at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379")
    backend = RedisCache("redis://127.0.0.1:6379/3", {"KEY_PREFIX": f"test-{secrets.token_hex(4)}"})
    yield backend
    client = backend._cache.get_client(write=True)
    keys = list(client.scan_iter(f"{backend.key_prefix}:*"))
    if keys:
        client.delete(*keys)


def test_one_redis_client_serves_every_operation(redis_cache):
    first = redis_cache._cache.get_client()
    assert redis_cache._cache.get_client(write=True) is first
    assert redis_cache._cache.get_client("any key") is first


def test_reads_and_writes_behave_as_djangos_backend(redis_cache):
    redis_cache.set("page", {"content": b"<html>"})
    redis_cache.add("generation", 7, timeout=None)
    assert redis_cache.incr("generation") == 8
    assert redis_cache.get_many(["generation", "page", "missing"]) == {"generation": 8, "page": {"content": b"<html>"}}
    redis_cache.delete("page")
    assert redis_cache.get("page") is None

"""A live class: the teacher's page publishes what it shows, the students' pages follow.

A class is not a session: it follows the teacher from session to session (a new network,
a dataset, a preset, an import all make new sessions). The class keeps the latest message
of each kind (``KINDS``) so that a student who joins or reconnects catches up at once, and
broadcasts each message once: the text is built once and handed to every follower's queue
unchanged (no work per follower but the send).

Two implementations of ``Broadcaster``, both shared by several workers:

* ``SqliteBroadcaster`` (``app.sessions.sqlite_classes``) — the SQLite store's workers on
  one machine: classes and a log of recent messages in a SQLite file beside the database,
  polled by one task per process while it has followers.
* ``RedisBroadcaster`` — several workers or hosts (the Redis store): the class (token
  hash, latest messages, sequence, student count) lives in Redis; each message is stored
  and published in one Lua script, and one pub/sub subscription per process hands it to
  that process's followers, so students on any worker receive what the teacher sends to
  any worker.

Keys (``bpe:`` prefix): ``cls:{id}`` a hash (``token`` = sha256 of the teacher token,
``n`` = students, ``seq``, and one field per kind with its latest message),
``cls-of:{session}`` → the class a session was last shown in; channel ``cls-ch:{id}``.
Everything expires ``CLASS_TTL_SECONDS`` after the last message.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import secrets
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any

import orjson

from app.sessions.stores.base import token
from app.settings import Settings

KINDS = ("session", "frame", "view")  # replayed to a (re)joining follower in this order
CLASS_TTL_SECONDS = 12 * 3600
MAX_CLASSES = 1000  # SQLite: the least recently used is dropped beyond (Redis: by TTL only)
QUEUE_SIZE = 64  # messages waiting for one slow follower; beyond, it is resynced
RESYNC = "resync"  # queued instead of messages a follower fell behind on


def new_class_id() -> str:
    return token(9)  # 12 characters, 72 random bits


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def state_message(kind: str, seq: int, data_json: bytes) -> str:
    """The text every follower receives for one published message (built once)."""
    return f'{{"type":"state","kind":"{kind}","seq":{seq},"data":{data_json.decode()}}}'


def students_message(count: int) -> str:
    return orjson.dumps({"type": "students", "count": count}).decode()


class Follower:
    """One connection's queue of texts to send; a follower that falls ``QUEUE_SIZE``
    behind gets ``RESYNC`` (send the class's latest state) instead of the backlog."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)

    def put(self, text: str) -> None:
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.resync()

    def resync(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(RESYNC)


class Hub:
    """This process's followers by class, and the one fan-out loop over them."""

    def __init__(self) -> None:
        self.followers: dict[str, set[Follower]] = {}

    def add(self, class_id: str, follower: Follower) -> None:
        self.followers.setdefault(class_id, set()).add(follower)

    def remove(self, class_id: str, follower: Follower) -> None:
        group = self.followers.get(class_id)
        if group is not None:
            group.discard(follower)
            if not group:
                del self.followers[class_id]

    def deliver(self, class_id: str, text: str) -> None:
        for follower in self.followers.get(class_id, ()):
            follower.put(text)

    def resync(self) -> None:
        """Every follower here missed messages: each is sent its class's latest state."""
        for group in self.followers.values():
            for follower in group:
                follower.resync()


class Broadcaster(ABC):
    """Classes, their latest state and their fan-out (see the module's docstring)."""

    def __init__(self) -> None:
        self.hub = Hub()

    @abstractmethod
    async def create(self) -> tuple[str, str]:
        """A new class: (id, teacher token). Only the token's hash is kept."""

    @abstractmethod
    async def exists(self, class_id: str) -> bool: ...

    @abstractmethod
    async def is_teacher(self, class_id: str, token: str) -> bool: ...

    @abstractmethod
    async def publish(self, class_id: str, kind: str, data: dict[str, Any]) -> int:
        """Keep ``data`` as the class's latest ``kind`` and send it to every follower;
        answers its sequence number."""

    @abstractmethod
    async def latest(self, class_id: str) -> list[str]:
        """The latest message of each kind (in ``KINDS`` order), as followers receive them."""

    @abstractmethod
    async def count(self, class_id: str, delta: int) -> int:
        """Add ``delta`` to the students connected, tell every connection, answer the count."""

    @abstractmethod
    async def class_of(self, session_id: str) -> str | None:
        """The class that last showed this session, if it still exists."""

    async def close(self) -> None:
        return None

    @contextlib.asynccontextmanager
    async def follow(self, class_id: str) -> AsyncIterator[Follower]:
        """A queue of this class's messages for one connection, while in the block."""
        follower = Follower()
        self.hub.add(class_id, follower)
        try:
            await self.subscribed(class_id)
            yield follower
        finally:
            self.hub.remove(class_id, follower)

    async def subscribed(self, class_id: str) -> None:
        """Make sure this process receives the class's messages (Redis: subscribe)."""
        return None


# KEYS[1] = cls:{id}, KEYS[2] = cls-of:{session} (or the class key again), KEYS[3] = channel;
# ARGV[1] = kind, ARGV[2] = message head (before seq), ARGV[3] = tail, ARGV[4] = ttl,
# ARGV[5] = class id, ARGV[6] = 1 if KEYS[2] is a session's key
_PUBLISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local msg = ARGV[2] .. seq .. ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], msg)
redis.call('EXPIRE', KEYS[1], ARGV[4])
if ARGV[6] == '1' then redis.call('SET', KEYS[2], ARGV[5], 'EX', ARGV[4]) end
redis.call('PUBLISH', KEYS[3], msg)
return seq
"""
# KEYS[1] = cls:{id}, KEYS[2] = channel; ARGV[1] = delta
_COUNT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = redis.call('HINCRBY', KEYS[1], 'n', ARGV[1])
if n < 0 then n = 0; redis.call('HSET', KEYS[1], 'n', 0) end
if ARGV[1] ~= '0' then redis.call('PUBLISH', KEYS[2], '{"type":"students","count":' .. n .. '}') end
return n
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisBroadcaster(Broadcaster):
    """Classes in Redis, fanned out through pub/sub: for several workers (the Redis store)."""

    PREFIX = "bpe:"

    def __init__(self, url: str) -> None:
        super().__init__()
        from redis import asyncio as aioredis  # optional dependency, as in the Redis store

        self.client = aioredis.Redis.from_url(url)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.listener: asyncio.Task[None] | None = None
        self.start_lock = asyncio.Lock()
        self.publish_script = self.client.register_script(_PUBLISH)
        self.count_script = self.client.register_script(_COUNT)

    def key(self, class_id: str) -> str:
        return f"{self.PREFIX}cls:{class_id}"

    def channel(self, class_id: str) -> str:
        return f"{self.PREFIX}cls-ch:{class_id}"

    async def create(self) -> tuple[str, str]:
        class_id, token = new_class_id(), secrets.token_urlsafe(24)
        key = self.key(class_id)
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"token": token_hash(token), "n": 0, "seq": 0})
            pipe.expire(key, CLASS_TTL_SECONDS)
            await pipe.execute()
        return class_id, token

    async def exists(self, class_id: str) -> bool:
        return bool(await self.client.exists(self.key(class_id)))

    async def is_teacher(self, class_id: str, token: str) -> bool:
        stored = await self.client.hget(self.key(class_id), "token")
        return stored is not None and hmac.compare_digest(_text(stored), token_hash(token))

    async def publish(self, class_id: str, kind: str, data: dict[str, Any]) -> int:
        head, tail = state_message(kind, 0, orjson.dumps(data)).split('"seq":0', 1)
        is_session = kind == "session"
        second = f"{self.PREFIX}cls-of:{data['id']}" if is_session else self.key(class_id)
        seq = await self.publish_script(
            keys=[self.key(class_id), second, self.channel(class_id)],
            args=[kind, head + '"seq":', tail, CLASS_TTL_SECONDS, class_id, int(is_session)],
        )
        if int(seq) < 0:
            raise KeyError(class_id)
        return int(seq)

    async def latest(self, class_id: str) -> list[str]:
        values = await self.client.hmget(self.key(class_id), list(KINDS))
        return [_text(v) for v in values if v is not None]

    async def count(self, class_id: str, delta: int) -> int:
        n = await self.count_script(keys=[self.key(class_id), self.channel(class_id)], args=[delta])
        return max(0, int(n))

    async def class_of(self, session_id: str) -> str | None:
        value = await self.client.get(f"{self.PREFIX}cls-of:{session_id}")
        if value is None:
            return None
        class_id = _text(value)
        return class_id if await self.exists(class_id) else None

    async def subscribed(self, class_id: str) -> None:
        # One pattern subscription per process for every class: a message for a class
        # nobody here follows is dropped by the hub (classes are few; this keeps one
        # reader on the pub/sub connection and no subscribe calls racing it).
        async with self.start_lock:
            if self.listener is None or self.listener.done():
                await self.pubsub.psubscribe(self.channel("*"))
                self.listener = asyncio.create_task(self.listen())

    async def listen(self) -> None:
        """This process's one reader of the class channels: hands each message to the hub."""
        prefix = len(self.channel(""))
        while True:
            try:
                message = await self.pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # a dropped connection: redis-py reconnects on the next read
                await asyncio.sleep(0.5)
                continue
            if message is None or message.get("type") != "pmessage":
                continue
            self.hub.deliver(message["channel"].decode()[prefix:], message["data"].decode())

    async def close(self) -> None:
        if self.listener is not None:
            self.listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.listener
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        with contextlib.suppress(Exception):
            await self.client.aclose()


def open_broadcaster(settings: Settings) -> Broadcaster:
    """Redis when the sessions are in Redis, else a SQLite file beside the session database:
    either way, shared by every worker that shares the sessions."""
    from app.sessions.stores import REDIS_SCHEMES

    if settings.store_url.startswith(REDIS_SCHEMES):
        return RedisBroadcaster(settings.store_url)
    from app.sessions.sqlite_classes import SqliteBroadcaster, classes_path

    return SqliteBroadcaster(classes_path(settings.db_path))

"""Sessions in Redis, so several workers or hosts behind a load balancer share them.

Selected by ``BACKPROP_EXPLORER_STORE=redis://host:port/db``; the interface and the
guarantees are the SQLite store's (``app.sessions.stores.sqlite``):

* Every change an API call makes (the session, its new metrics, its snapshots) is one
  Lua script, so it is applied whole or not at all.
* Each session carries a version; a save succeeds only if nobody saved in between
  (``Conflict`` otherwise).
* ``lock(id)`` serialises calls on one session across every process: a Redis lock
  (``SET key token NX PX ttl``, renewed while held, released by a compare-and-delete
  script, so only its owner can release it and a crashed owner's lock expires). Waiting
  for it polls with ``asyncio.sleep``, so a waiting call never blocks the event loop.
  Within a process an ``asyncio.Lock`` queues callers first, so one caller per process
  polls Redis.
* At the session limit the oldest sessions idle longer than ``idle_seconds`` are removed
  to make room, in the same script that inserts the new one; if none is idle long enough
  the store is full (``StoreFull``).

Keys (``bpe:`` prefix): ``s:{id}`` a hash (version, updated_at, meta, params, data),
``idx`` a sorted set of ids by updated_at, ``m:{id}`` a hash of metrics records by step,
``snap:{id}`` a hash of float64 parameter snapshots by step, ``lock:{id}`` the lock.
The scripts build other sessions' keys from the prefix, so this is for a single Redis
server (or a primary with replicas), not Redis Cluster.

Data are written with a blocking client with short timeouts (``SOCKET_TIMEOUT``), and the
API makes every call of this store in a worker thread (``blocking``), the lock's polling
and renewal included: a stalled Redis fails the calls that need it with 503 after two
seconds while the event loop keeps answering everything else (``/api/health`` included).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from contextlib import suppress
from typing import Any, cast

import orjson
import redis

from app.engine.activations import Array
from app.engine.training import Metrics
from app.sessions import record
from app.sessions.resume import Resume
from app.sessions.retention import history_overflow, kept_history
from app.sessions.session import Session
from app.sessions.stores.base import (
    ANSWER_SECONDS,
    MAX_ANSWER_BYTES,
    Conflict,
    NotFound,
    OverShare,
    StoreBase,
    Update,
    read_record,
    reading,
    snapshot_from,
    snapshot_point,
    summaries,
)

LOCK_TTL_MS = 10_000  # a crashed holder's lock expires after this; a live one renews it
SOCKET_TIMEOUT = 2.0  # seconds a call waits on Redis before it fails (503)
LOCK_WAIT_SECONDS = 60.0  # give up (409) after waiting this long for a busy session

# Remove session ``oid``'s keys and its place in the index ``idx``.
_DROP = """
local function drop(idx, prefix, oid)
  local client = redis.call('HGET', prefix .. 's:' .. oid, 'client')
  if client and client ~= '' then
    redis.call('ZREM', prefix .. 'c:' .. client, oid)
    if redis.call('ZINCRBY', prefix .. 'clients', -1, client) + 0 <= 0 then
      redis.call('ZREM', prefix .. 'clients', client)
    end
  end
  redis.call('DEL', prefix .. 's:' .. oid, prefix .. 'm:' .. oid, prefix .. 'snap:' .. oid)
  return redis.call('ZREM', idx, oid)
end
"""

# Make room at the session limit (``StoreBase._evictions``): remove the oldest sessions idle
# since before the cutoff, then, unless the creating client holds its share or more, the
# newest sessions of the clients over their share, the one holding most first. ``clients``
# counts each client's sessions, ``c:{client}`` orders them by creation.
# KEYS[1] = idx; ARGV[1] = prefix, ARGV[2] = max sessions, ARGV[3] = cutoff, ARGV[4] = the
# creating client, ARGV[5] = a client's share. Sets `room` (1, 0 full, or -n: over share).
_MAKE_ROOM = (
    _DROP
    + """
local room = 1
local count = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[2])
if count >= max then
  local need = count - max + 1
  local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3], 'LIMIT', 0, need)
  for _, oid in ipairs(old) do drop(KEYS[1], ARGV[1], oid) end
  need = need - #old
  local share = tonumber(ARGV[5])
  local held = tonumber(redis.call('ZSCORE', ARGV[1] .. 'clients', ARGV[4]) or '0')
  if need > 0 and ARGV[4] ~= '' and held >= share then
    room = -held
    need = 0
  end
  while need > 0 do
    local top = redis.call('ZREVRANGE', ARGV[1] .. 'clients', 0, 0, 'WITHSCORES')
    if #top == 0 or tonumber(top[2]) <= share then break end
    local newest = redis.call('ZREVRANGE', ARGV[1] .. 'c:' .. top[1], 0, 0)
    if #newest == 0 then break end
    drop(KEYS[1], ARGV[1], newest[1])
    need = need - 1
  end
  if need > 0 then room = 0 end
end
"""
)

# Pairs (field, value) from ARGV starting at i, preceded by their count; HSET into key.
_PAIRS = """
local function put_pairs(key, i)
  local n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do
    redis.call('HSET', key, ARGV[i], ARGV[i + 1]); i = i + 2
  end
  return i
end
"""

MAKE_ROOM = _MAKE_ROOM + "\nreturn room"

# KEYS: idx, s:id, m:id, snap:id. ARGV: prefix, max, cutoff, client, share, id, updated_at,
# meta, params, data, created_at, then metrics pairs and snapshot pairs (each preceded by
# its count). Returns as MAKE_ROOM.
CREATE = (
    _PAIRS
    + _MAKE_ROOM
    + """
if room ~= 1 then return room end
redis.call('HSET', KEYS[2], 'version', 1, 'updated_at', ARGV[7], 'meta', ARGV[8],
           'params', ARGV[9], 'data', ARGV[10], 'client', ARGV[4])
redis.call('ZADD', KEYS[1], ARGV[7], ARGV[6])
if ARGV[4] ~= '' then
  redis.call('ZADD', ARGV[1] .. 'c:' .. ARGV[4], ARGV[11], ARGV[6])
  redis.call('ZINCRBY', ARGV[1] .. 'clients', 1, ARGV[4])
end
local i = put_pairs(KEYS[3], 12)
put_pairs(KEYS[4], i)
return 1
"""
)

# KEYS: s:id, idx, m:id, snap:id. ARGV: id, old version, updated_at, meta, params,
# data changed (0/1), data, reset history (0/1), metrics pairs, snapshot pairs, then the
# count of snapshot steps to drop and the steps.
SAVE = (
    _PAIRS
    + """
local v = redis.call('HGET', KEYS[1], 'version')
if (not v) or tonumber(v) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'version', tonumber(v) + 1, 'updated_at', ARGV[3],
           'meta', ARGV[4], 'params', ARGV[5])
if ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'data', ARGV[7]) end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if ARGV[8] == '1' then redis.call('DEL', KEYS[3], KEYS[4]) end
local i = put_pairs(KEYS[3], 9)
i = put_pairs(KEYS[4], i)
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HDEL', KEYS[4], ARGV[i]); i = i + 1
end
return 1
"""
)

# KEYS: idx, s:id, m:id, snap:id. ARGV: prefix, id.
DELETE = (
    _DROP
    + """
local existed = redis.call('EXISTS', KEYS[2])
local removed = drop(KEYS[1], ARGV[1], ARGV[2])
if removed + existed == 0 then return 0 end
return 1
"""
)

# KEYS: idx. ARGV: prefix, cutoff, batch size. Returns the removed ids.
REMOVE_IDLE = (
    _DROP
    + """
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0, ARGV[3])
for _, oid in ipairs(old) do drop(KEYS[1], ARGV[1], oid) end
return old
"""
)

# KEYS: lock. ARGV: token (, ttl). Only the owner may release or extend a lock.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


def _float(value: float) -> bytes:
    return repr(float(value)).encode()


class RedisStore(StoreBase):
    name = "redis"
    blocking = True  # the API makes its calls in a thread: a stalled Redis never blocks the loop
    unavailable: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)

    def __init__(
        self,
        client: redis.Redis,
        max_sessions: int,
        max_snapshots: int,
        idle_seconds: float,
        prefix: str = "bpe:",
        max_history: int = 1000,
    ) -> None:
        super().__init__(max_sessions, max_snapshots, idle_seconds, max_history)
        self._r = client
        self.prefix = prefix
        self.lock_ttl_ms = LOCK_TTL_MS
        self._make_room_script = client.register_script(MAKE_ROOM)
        self._create_script = client.register_script(CREATE)
        self._save_script = client.register_script(SAVE)
        self._delete_script = client.register_script(DELETE)
        self._remove_idle_script = client.register_script(REMOVE_IDLE)
        self._release_script = client.register_script(RELEASE)
        self._renew_script = client.register_script(RENEW)

    @classmethod
    def from_url(
        cls,
        url: str,
        max_sessions: int,
        max_snapshots: int,
        idle_seconds: float,
        max_history: int = 1000,
    ) -> RedisStore:
        # Short timeouts: a stalled Redis fails a call (503, try again) within seconds.
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=SOCKET_TIMEOUT,
            socket_timeout=SOCKET_TIMEOUT,
            health_check_interval=30,
        )
        client.ping()  # fail at startup, with the URL, rather than on the first request
        return cls(client, max_sessions, max_snapshots, idle_seconds, max_history=max_history)

    def close(self) -> None:
        self._r.close()
        self._r.connection_pool.disconnect()

    # --- keys ------------------------------------------------------------------------------

    def _keys(self, session_id: str) -> tuple[str, str, str]:
        p = self.prefix
        return f"{p}s:{session_id}", f"{p}m:{session_id}", f"{p}snap:{session_id}"

    @property
    def _idx(self) -> str:
        return f"{self.prefix}idx"

    # --- locking ---------------------------------------------------------------------------

    def lock(self, session_id: str) -> _SessionLock:
        """``async with store.lock(id):`` — held by one call at a time across all processes."""
        return _SessionLock(self, session_id, self._local_lock(session_id))

    def try_lock(self, key: str, token: bytes) -> bool:
        """Take the Redis lock ``key`` for ``lock_ttl_ms`` if nobody holds it."""
        return bool(self._r.set(key, token, nx=True, px=self.lock_ttl_ms))

    def renew_lock(self, key: str, token: bytes) -> None:
        """Extend the lock's time to live, if ``token`` still holds it."""
        self._renew_script(keys=[key], args=[token, self.lock_ttl_ms])

    def release_lock(self, key: str, token: bytes) -> None:
        """Release the lock, if ``token`` still holds it."""
        self._release_script(keys=[key], args=[token])

    # --- reading ---------------------------------------------------------------------------

    def get(self, session_id: str) -> Session:
        key = self._keys(session_id)[0]
        version = self._r.hget(key, "version")
        cached = self._cached(session_id, None if version is None else int(version))
        if cached is not None:
            return cached
        fields = cast(list[bytes | None], self._r.hmget(key, ["meta", "params", "data", "version"]))
        meta, params, data, version = fields
        if meta is None or params is None or data is None or version is None:
            raise NotFound(session_id)
        session = read_record(session_id, meta, params, data, int(version))
        self._remember(session)
        return session

    def recent(self, limit: int) -> list[dict[str, Any]]:
        ids = [i.decode() for i in cast(list[bytes], self._r.zrevrange(self._idx, 0, limit - 1))]
        pipe = self._r.pipeline(transaction=False)
        for session_id in ids:
            pipe.hget(self._keys(session_id)[0], "meta")
        return summaries(zip(ids, pipe.execute(), strict=True))  # None: deleted meanwhile

    def metrics(self, session_id: str, since: int = 0) -> list[dict[str, Any]]:
        rows = cast(dict[bytes, bytes], self._r.hgetall(self._keys(session_id)[1]))
        with reading(session_id):
            steps = sorted((int(step), rec) for step, rec in rows.items() if int(step) >= since)
            return [orjson.loads(rec) for _, rec in steps]

    def snapshots(self, session_id: str) -> list[tuple[int, Array]]:
        rows = cast(dict[bytes, bytes], self._r.hgetall(self._keys(session_id)[2]))
        with reading(session_id):
            return sorted((int(step), snapshot_from(blob)) for step, blob in rows.items())

    def snapshot_points(self, session_id: str) -> list[tuple[int, Array, Resume | None]]:
        rows = cast(dict[bytes, bytes], self._r.hgetall(self._keys(session_id)[2]))
        with reading(session_id):
            points = [snapshot_point(int(step), blob) for step, blob in rows.items()]
        return sorted(points, key=lambda point: point[0])

    def _answer_key(self, session_id: str, key: str) -> str:
        # The key is any 1-200 characters: hashed, so it cannot reach into another name.
        return f"{self.prefix}a:{session_id}:{hashlib.sha256(key.encode()).hexdigest()}"

    def answer(self, session_id: str, key: str) -> bytes | None:
        return cast(bytes | None, self._r.get(self._answer_key(session_id, key)))

    def keep_answer(self, session_id: str, key: str, body: bytes) -> None:
        """Kept ``ANSWER_SECONDS``: Redis expires it (and so bounds how many are kept)."""
        if len(body) <= MAX_ANSWER_BYTES:
            self._r.set(self._answer_key(session_id, key), body, ex=int(ANSWER_SECONDS))

    def count(self) -> int:
        return int(self._r.zcard(self._idx))

    # --- writing ---------------------------------------------------------------------------

    def make_room(self, client: str = "") -> None:
        """At the session limit, remove sessions now (``_MAKE_ROOM``), or raise StoreFull."""
        self._room(self._make_room_script(keys=[self._idx], args=self._room_args(client)))

    def _room_args(self, client: str) -> list[Any]:
        return [self.prefix, self.max_sessions, _float(self._cutoff()), client,
                self.client_sessions]  # fmt: skip

    def _room(self, answer: int) -> None:
        """Raise what ``_MAKE_ROOM``'s ``room`` says: 0 full, -n the client holds n."""
        if int(answer) < 0:
            raise OverShare(-int(answer), self.client_sessions)
        if not int(answer):
            raise self._full()

    def _insert(
        self,
        session: Session,
        metrics: list[Metrics],
        snapshots: list[tuple[int, Array]],
        client: str,
    ) -> None:
        writes, _ = self._snapshot_changes(session, [], snapshots)
        skey, mkey, snapkey = self._keys(session.id)
        args: list[Any] = [
            *self._room_args(client), session.id, _float(session.updated_at),
            record.meta_of(session), record.params_of(session), record.data_of(session),
            _float(session.created_at),
        ]  # fmt: skip
        args += self._metric_pairs(metrics)
        args += self._pairs(writes)
        self._room(self._create_script(keys=[self._idx, skey, mkey, snapkey], args=args))

    def _update(self, u: Update) -> bool:
        skey, mkey, snapkey = self._keys(u.session.id)
        stored: list[int] = []
        if u.snapshots and not u.reset_history:  # only new snapshots can push old ones out
            stored = sorted(int(s) for s in cast(list[bytes], self._r.hkeys(snapkey)))
        writes, drops = self._snapshot_changes(u.session, stored, u.snapshots)
        args: list[Any] = [
            u.session.id, u.old_version, _float(u.session.updated_at), record.meta_of(u.session),
            record.params_of(u.session), 1 if u.data_changed else 0,
            record.data_of(u.session) if u.data_changed else b"", 1 if u.reset_history else 0,
        ]  # fmt: skip
        args += self._metric_pairs(u.metrics)
        args += self._pairs(writes)
        args += [len(drops), *drops]
        saved = bool(self._save_script(keys=[skey, self._idx, mkey, snapkey], args=args))
        if saved and u.metrics:
            self._thin_history(mkey)
        return saved

    def _thin_history(self, mkey: str) -> None:
        """Past ``max_history`` metrics records, thin them evenly (``retention``); dropping
        history rows after the save is safe on its own, so it is not in the script."""
        keep = history_overflow(int(self._r.hlen(mkey)), self.max_history)
        if keep is None:
            return
        steps = sorted(int(s) for s in cast(list[bytes], self._r.hkeys(mkey)))
        kept = set(kept_history(steps, keep))
        drops = [step for step in steps if step not in kept]
        if drops:
            self._r.hdel(mkey, *drops)

    def _exists(self, session_id: str) -> bool:
        return bool(self._r.exists(self._keys(session_id)[0]))

    @classmethod
    def _metric_pairs(cls, metrics: list[Metrics]) -> list[Any]:
        # orjson writes a dataclass as asdict would, faster
        return cls._pairs([(m.step, orjson.dumps(m)) for m in metrics])

    @staticmethod
    def _pairs(pairs: list[tuple[int, bytes]]) -> list[Any]:
        """Script arguments: the count, then each step and its value."""
        out: list[Any] = [len(pairs)]
        for step, value in pairs:
            out += [step, value]
        return out

    def delete(self, session_id: str) -> None:
        keys = [self._idx, *self._keys(session_id)]
        deleted = self._delete_script(keys=keys, args=[self.prefix, session_id])
        self._cache.pop(session_id, None)
        if not deleted:
            raise NotFound(session_id)

    def remove_idle(self) -> int:
        """Delete sessions idle longer than the configured time; returns how many."""
        cutoff = _float(self._cutoff())
        removed = 0
        while True:
            ids = self._remove_idle_script(keys=[self._idx], args=[self.prefix, cutoff, 500])
            for raw in ids:
                self._cache.pop(raw.decode(), None)
            removed += len(ids)
            if len(ids) < 500:
                return removed


class _SessionLock:
    """The per-session lock: this process's queue, then the Redis lock across processes."""

    def __init__(self, store: RedisStore, session_id: str, local: asyncio.Lock) -> None:
        self._store = store
        self._key = f"{store.prefix}lock:{session_id}"
        self._session_id = session_id
        self._local = local  # a strong reference keeps it in the store's weak map while used
        self._token = b""
        self._renewal: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> None:
        await self._local.acquire()
        try:
            await self._acquire()
        except BaseException:
            self._local.release()
            raise
        self._schedule_renewal()

    async def _acquire(self) -> None:
        token = secrets.token_hex(16).encode()
        delay, waited = 0.0005, 0.0
        while not await asyncio.to_thread(self._store.try_lock, self._key, token):
            if waited > LOCK_WAIT_SECONDS:
                raise Conflict(f"{self._session_id!r} (busy for over {LOCK_WAIT_SECONDS:g} s)")
            await asyncio.sleep(delay)  # waiting never blocks the event loop
            waited += delay
            delay = min(delay * 2, 0.02)
        self._token = token

    def _schedule_renewal(self) -> None:
        # A timer rather than a task: most calls end long before the first renewal.
        loop = asyncio.get_running_loop()
        self._renewal = loop.call_later(self._store.lock_ttl_ms / 3000, self._renew)

    def _renew(self) -> None:
        # In a thread: the timer runs on the event loop, which must not wait on Redis.
        asyncio.get_running_loop().run_in_executor(None, self._renew_now)
        self._schedule_renewal()

    def _renew_now(self) -> None:
        with suppress(redis.RedisError):  # if it lapses, the save's version check still guards
            self._store.renew_lock(self._key, self._token)

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self._renewal is not None:
                self._renewal.cancel()
            await asyncio.to_thread(self._store.release_lock, self._key, self._token)
        finally:
            self._local.release()

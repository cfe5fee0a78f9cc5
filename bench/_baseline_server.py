"""The bare baseline: an asyncio MLLP server that stores the raw message in SQLite and ACKs.

Group commit (one writer thread, one transaction per batch), synchronous=FULL, WAL, ACK after
commit: the least any durable MLLP ingest has to do. With ``--post HOST:PORT`` it also POSTs each
committed message to that HTTP sink over 8 keep-alive connections (no delivery bookkeeping: the
least an MLLP-to-HTTP interface has to do). ``--uvloop`` runs it on uvloop, as careweave runs.
Run: python bench/_baseline_server.py PORT DB [--post HOST:PORT] [--uvloop]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this folder would come first on sys.path and bench/queue.py would shadow the
# standard library's queue module: keep the folder off sys.path and the repository root on it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))  # own folder off sys.path, repository root on it

import asyncio
import queue
import sqlite3
import sys
import threading

START, END = b"\x0b", b"\x1c\x0d"


class Writer(threading.Thread):
    def __init__(self, path: str, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(daemon=True)
        self.path, self.loop = path, loop
        self.jobs: queue.SimpleQueue[tuple[bytes, asyncio.Future[None]]] = queue.SimpleQueue()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS m (id INTEGER PRIMARY KEY, raw BLOB)")
        while True:
            batch = [self.jobs.get()]
            while len(batch) < 256:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO m (raw) VALUES (?)", [(raw,) for raw, _ in batch])
            conn.execute("COMMIT")
            futures = [f for _, f in batch]
            self.loop.call_soon_threadsafe(_done, futures)


def _done(futures: list[asyncio.Future[None]]) -> None:
    for f in futures:
        if not f.done():
            f.set_result(None)


def ack_for(raw: bytes) -> bytes:
    fields = raw.split(b"\r", 1)[0].split(b"|")
    control = fields[9] if len(fields) > 9 else b""
    return b"MSH|^~\\&|||||20261127||ACK|1|P|2.5.1\rMSA|AA|" + control + b"\r"


_POSTERS: list[asyncio.Task[None]] = []


async def _poster(host: str, port: int, jobs: asyncio.Queue[bytes]) -> None:
    """One keep-alive connection POSTing queued messages, one request in flight."""
    reader, writer = await asyncio.open_connection(host, port)
    while True:
        body = await jobs.get()
        writer.write(
            b"POST /in HTTP/1.1\r\nHost: sink\r\nContent-Type: application/hl7-v2\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"sink answered {head[:40]!r}")


async def main(port: int, path: str, post: str | None) -> None:
    loop = asyncio.get_running_loop()
    writer = Writer(path, loop)
    writer.start()
    posts: asyncio.Queue[bytes] = asyncio.Queue()
    if post is not None:
        host, _, sink_port = post.rpartition(":")
        # Held in a module list: the loop keeps only weak references to tasks.
        _POSTERS.extend(loop.create_task(_poster(host, int(sink_port), posts)) for _ in range(8))

    async def serve(reader: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.readuntil(END)
                raw = data[data.index(START) + 1 : -2]
                future: asyncio.Future[None] = loop.create_future()
                writer.jobs.put((raw, future))
                await future
                w.write(START + ack_for(raw) + END)
                if post is not None:
                    posts.put_nowait(raw)
        except (asyncio.IncompleteReadError, ConnectionError):
            w.close()

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--uvloop" in args:
        import uvloop

        uvloop.install()
    target = args[args.index("--post") + 1] if "--post" in args else None
    asyncio.run(main(int(args[0]), args[1], target))

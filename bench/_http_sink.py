"""A bare HTTP/1.1 keep-alive sink for the benchmarks: answers every POST 200 and counts them.

``GET /count`` answers the number of POSTs received so far. No framework: the sink must cost less
than what is measured. Run: python bench/_http_sink.py PORT [--uvloop]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this folder would come first on sys.path and bench/queue.py would shadow the
# standard library's queue module: keep the folder off sys.path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import asyncio

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class Sink:
    """Counts the POSTs it answers."""

    def __init__(self) -> None:
        self.posts = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length:
                    await reader.readexactly(length)
                if head.startswith(b"GET /count"):
                    body = str(self.posts).encode()
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                    )
                else:
                    self.posts += 1
                    writer.write(_OK)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


async def main(port: int) -> None:
    sink = Sink()
    server = await asyncio.start_server(sink.serve, "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop

        uvloop.install()
    asyncio.run(main(int(sys.argv[1])))

"""``careweave hl7 send``: send HL7 v2 files to an MLLP listener and print each ACK."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from careweave.codecs.hl7v2 import parse_batch, parse_message
from careweave.connectors.mllp import MllpClient, ack_code
from careweave.connectors.tls import client_context
from careweave.exceptions import CareweaveError


def _messages(files: list[Path]) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for path in files:
        data = path.read_bytes()
        try:
            batch = parse_batch(data)
        except CareweaveError:
            out.append((str(path), data))  # send it as it is: the receiver will say what is wrong
            continue
        if len(batch) == 1:
            out.append((str(path), data))  # unmodified bytes, exactly as on disk
        else:
            out.extend((f"{path}#{i + 1}", m.encode()) for i, m in enumerate(batch))
    return out


async def _send(
    host: str,
    port: int,
    items: list[tuple[str, bytes]],
    ack_timeout: float,
    console: Console,
    tls: ssl.SSLContext | None = None,
) -> int:
    failures = 0
    async with MllpClient(host, port, ack_timeout=ack_timeout, tls=tls) as client:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("sending", total=len(items))
            for name, raw in items:
                try:
                    ack = await client.send(raw)
                    code = ack_code(ack)
                    text = parse_message(ack).get("MSA-3")
                except CareweaveError as exc:
                    code, text = "--", str(exc)
                if code not in {"AA", "CA"}:
                    failures += 1
                console.print(f"{code}  {name}" + (f"  {text}" if text else ""), highlight=False)
                progress.advance(task)
    return failures


def send(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="HL7 v2 files."),
    to: str = typer.Option(..., "--to", help="HOST:PORT of the MLLP listener."),
    timeout: float = typer.Option(30.0, help="Seconds to wait for each ACK."),
    tls: bool = typer.Option(
        False, "--tls", help="Connect with TLS (implied by --tls-ca, --tls-cert, --tls-key)."
    ),
    tls_ca: Path | None = typer.Option(
        None, "--tls-ca", help="CA file (PEM) the listener's certificate must chain to."
    ),
    tls_cert: Path | None = typer.Option(
        None, "--tls-cert", help="Client certificate (PEM) for a listener requiring mutual TLS."
    ),
    tls_key: Path | None = typer.Option(None, "--tls-key", help="The client certificate's key."),
) -> None:
    """Send messages over MLLP (one connection, in order) and print each ACK's code.

    Exits 1 when any message was not accepted (AE/AR, or no answer).
    """
    host, _, port_text = to.rpartition(":")
    if not host or not port_text.isdigit():
        raise typer.BadParameter("expected HOST:PORT", param_hint="--to")
    console = Console()
    items = _messages(files)
    try:
        context = None
        if tls or tls_ca or tls_cert or tls_key:
            context = client_context(tls_ca, tls_cert, tls_key)
        failures = asyncio.run(_send(host, int(port_text), items, timeout, console, context))
    except CareweaveError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"{len(items) - failures} of {len(items)} accepted")
    if failures:
        raise typer.Exit(1)

"""``careweave keys``: the PHI key that seals what the store holds at rest."""

from __future__ import annotations

from pathlib import Path

import typer

from careweave.cli.common import console, fail
from careweave.engine.store.phi_keys import generate_key, valid_kid, write_key_file

app = typer.Typer(help="PHI encryption keys (AES-256) for the store.", no_args_is_help=True)


@app.command("generate")
def generate(
    kid: str = typer.Option("", help="Key id: prints kid:base64, for a keyring that rotates."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the key to this file (owner-only) instead of stdout."
    ),
) -> None:
    """Print a new random key (base64 of 32 bytes) for ``[engine] phi_key_env`` or ``phi_key_file``."""
    if kid and not valid_kid(kid):
        fail(f"--kid {kid!r}: a key id is 1 to 32 letters, digits, '.' or '-'")
    if output is not None:
        if kid:
            fail("--kid and --output together: write a keyring file by hand (kid:base64,...)")
        if output.exists():
            fail(f"{output} exists; a key file is never overwritten (it would lose the data)")
        write_key_file(output)
        console.print(f"wrote a new PHI key to {output}", markup=False, highlight=False)
        return
    key = generate_key()
    typer.echo(f"{kid}:{key}" if kid else key)

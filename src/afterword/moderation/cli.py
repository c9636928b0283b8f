"""``afterword mail ...``: check the SMTP set-up from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

mail_app = typer.Typer(help="Email notifications (SMTP).", no_args_is_help=True)


@mail_app.command("test")
def mail_test(
    address: Annotated[str, typer.Argument(help="Where to send the test email.")],
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", help="TOML configuration file (also AFTERWORD_CONFIG).",
        dir_okay=False)] = None,
) -> None:
    """Send one email now through the configured SMTP server (errors name the failing step)."""
    from afterword.config import load_settings
    from afterword.moderation.notify import smtp_send

    settings = load_settings(config)
    smtp_send(settings, address, "Afterword test email",
              "This is a test email from Afterword: notifications can reach you.\n")
    typer.echo(f"sent a test email to {address} via {settings.smtp_host}:{settings.smtp_port}")

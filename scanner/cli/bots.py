"""``groupscan bot matrix|telegram --config FILE``.

The bots live in the top-level ``bots`` package, which calls scanner services; the scanner library never imports
it. Only these entry points do, inside the command, so ``groupscan`` works without the bot libraries loaded.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from scanner.cli.common import policy_from
from scanner.cli.errors import BadInput
from scanner.store.db import open_database

ConfigOption = Annotated[Path, typer.Option("--config", help="The bot's YAML configuration.")]


app = typer.Typer()


bot = typer.Typer(help="Bots that watch groups live and alert moderators.", no_args_is_help=True)
app.add_typer(bot, name="bot")


def _run(make) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = make()
        try:
            await runner.run(stop)
        finally:
            await runner.close()

    asyncio.run(main())


def _start(config: Path, platform: str) -> None:
    from pydantic import ValidationError

    from bots.core import BotCore

    bot_class: Any
    settings_class: Any
    from scanner.engine.scancache import default_folder

    if platform == "matrix":
        from bots.matrix import MatrixBot as bot_class
        from bots.matrix import MatrixBotConfig as settings_class
    else:
        from bots.telegram import TelegramBot as bot_class
        from bots.telegram import TelegramBotConfig as settings_class
    try:
        settings = settings_class.load(config)
    except (OSError, ValidationError) as error:
        raise BadInput(f"{config}: {error}") from error
    policy = policy_from(Path(settings.policy) if settings.policy else None)
    channel = settings.moderators_room if platform == "matrix" else settings.admin_chat_id
    engine = open_database(settings.database)
    core = BotCore(engine, policy, Path(settings.media_dir), f"{platform}:{channel}", settings.dashboard_url,
                   max_alerts=settings.max_alerts, cache_dir=default_folder(engine.url.render_as_string()))
    try:
        _run(lambda: bot_class(settings, core))
    except ValueError as error:
        raise BadInput(str(error)) from error


@bot.command(name="matrix")
def matrix(config: ConfigOption) -> None:
    """Run the Matrix moderation bot (token from the environment variable the config names)."""
    _start(config, "matrix")


@bot.command(name="telegram")
def telegram(config: ConfigOption) -> None:
    """Run the Telegram bot (token from the environment variable the config names)."""
    _start(config, "telegram")

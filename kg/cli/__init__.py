"""`dskg`: the command-line interface, every command registered below in `dskg --help` order.

The commands live in the modules named on each line; a command group (``dskg policy ...``)
is a typer app of its module. Every command that opens the store does so through
``kg.cli.app.opened_store``, i.e. ``kg.node.open_node``: the server's start-up.
"""

from __future__ import annotations

from kg.cli import core, federation, gaiax, operations, policy, tokens, validate
from kg.cli.app import app

app.command()(core.serve)
app.command()(core.load)
app.command()(core.query)
app.command()(core.export)
app.command()(core.stats)
app.command()(validate.validate)
app.command()(validate.quality)
app.command()(policy.evaluate)
app.command()(federation.harvest)
app.command()(operations.backup)
app.command()(operations.restore)
app.command()(operations.integrity)
app.add_typer(policy.policy_app, name="policy")
app.add_typer(gaiax.gaiax, name="gaiax")
app.add_typer(tokens.token_app, name="token")


def main() -> None:
    app()


__all__ = ["app", "main"]

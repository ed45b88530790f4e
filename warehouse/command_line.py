"""The argument parser of `python -m warehouse` and `python -m collectors`.

Plain argparse answers a mistake with its whole usage block, and it reports an option that a
subcommand does not take against the top program (`python -m collectors: error: unrecognized
arguments: --requests 4`), so the person cannot tell which command refused it. Here a mistake
is one line that names the command refusing it and what that command takes instead; and every
subcommand's --help opens with the sentence saying what it does (argparse shows a
subcommand's `help` only in its parent's list).
"""

import argparse
import os
import select
import sys
from collections.abc import Callable

# What a shell reports for a program ended by SIGPIPE (128 + 13): `... | head -1` closed the pipe.
BROKEN_PIPE_EXIT = 141

# argparse messages after which the person needs to know what the command takes
LISTS_HELP = ("unrecognized arguments", "the following arguments are required")


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line; subcommands get the same class."""

    def error(self, message: str):
        takes = f"{self.takes()}; " if message.startswith(LISTS_HELP) else ""
        self.exit(2, f"error: {self.prog}: {message} ({takes}`{self.prog} --help` says more)\n")

    def takes(self) -> str:
        """What this command accepts: its subcommands, else its options."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return "commands: " + ", ".join(action.choices)
        options = [option for action in self._actions for option in action.option_strings
                   if option.startswith("--") and option != "--help"]
        return "options: " + ", ".join(options) if options else "it takes no options"

    def parse_args(self, args=None, namespace=None):
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self.chosen(parsed).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def chosen(self, parsed: argparse.Namespace) -> "CommandParser":
        """The deepest subcommand the words chose: the one that did not take the extras."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                name = getattr(parsed, action.dest, None)
                if name in action.choices:
                    return action.choices[name].chosen(parsed)
        return self


def add_command(subcommands, name: str, summary: str, details: str = "",
                **kwargs) -> CommandParser:
    """A subcommand listed with `summary`; its own --help opens with it, then `details`."""
    description = f"{summary[0].upper()}{summary[1:]}." + (f" {details}" if details else "")
    return subcommands.add_parser(name, help=summary, description=description, **kwargs)


def run_quietly(main: Callable[[], int]) -> int:
    """`main()`'s exit code; when the reader of stdout went away (`| head -1`), end quietly with
    141 instead of a BrokenPipeError traceback (and a second one as Python flushes at exit)."""
    try:
        code = main()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        if not _stdout_broken():
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_EXIT


def _stdout_broken() -> bool:
    """Is stdout the pipe that broke (and not, say, a socket a command was writing to)? The
    write end of a pipe whose reader is gone polls as an error."""
    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _, event in poll.poll(0))
    except (OSError, ValueError):
        return False

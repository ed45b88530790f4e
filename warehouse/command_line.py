"""The argument parser of `python -m warehouse` and `python -m collectors`.

Plain argparse answers a mistake with its whole usage block, and it reports an option that a
subcommand does not take against the top program (`python -m collectors: error: unrecognized
arguments: --requests 4`), so the person cannot tell which command refused it. Here a mistake
is one line that names the command refusing it and what that command takes instead; and every
subcommand's --help opens with the sentence saying what it does (argparse shows a
subcommand's `help` only in its parent's list).
"""

import argparse

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

"""A plain text progress bar for management commands (stderr), without a dependency."""

from django.core.management.base import OutputWrapper


class ProgressBar:
    """``bar(done, total)`` redraws ``label [#####.....] done/total`` on one line; a newline at the end."""

    def __init__(self, stream, label: str, width: int = 30):
        self.stream, self.label, self.width = stream, label, width

    def __call__(self, done: int, total: int) -> None:
        filled = self.width * done // total if total else self.width
        line = f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}"
        self.write(line + ("\n" if done >= total else ""))

    def write(self, text: str) -> None:
        if isinstance(self.stream, OutputWrapper):  # a command's self.stderr adds a newline unless told not to
            self.stream.write(text, ending="")
        else:
            self.stream.write(text)
        self.stream.flush()

#!/usr/bin/python3
"""man-examples.py - run the EXAMPLES of a man page and check what they print.

usage: man-examples.py [-l] [-F FIXTURES] PAGE SCRATCH

The convention, in the roff source of the EXAMPLES section (the lines
starting with .\\" are roff comments: the reader never sees them):

  .\\" examples-setup: main.cs light.cs a.cs=main.cs
        the stores the examples start from, copied from FIXTURES (tests/docs.bats
        builds them: main.cs has mainnet's headers 0-10236 and the bodies of
        blocks 1-255, as `make demo` loads them; light.cs the headers alone;
        empty.cs a new mainnet store; reorg.cs btcd's reorganisation as
        cs-put(1) loads it; shares.cs an opaque store of cs-genshares' genesis
        and 400 shares). NAME=FIXTURE copies FIXTURE under another name.
  .\\" example-skip: REASON
        the next literal block (.Bd -literal ... .Ed) is not run: a crontab
        line, a unit file, a command that needs a network or a node. REASON
        is printed.

Every other literal block is a shell session: a line starting with "$ "
starts a command, which goes on over the next lines until bash can parse it
(an open quote, a trailing |, && or \\); the lines after it, up to the next
"$ " line, are what it prints, standard output and standard error together,
exactly. A command shown with nothing after it is run but what it prints is
not compared. A line "..." in the output stands for any number of lines.
A command that ends in the comment "# exit N" must exit with status N; any
other, with 0.

The examples of a page run in order in one bash, in SCRATCH (where "tests"
is a link to the sources' tests/, for tests/data and tests/tools/bin), with
standard output and standard error on a terminal (a pty), as a reader who
types them sees them, and standard input from /dev/null. CS_FORMAT and
CS_STORE are unset.

-l lists the page's examples instead (one line each: number, then "run"
with its commands or "skip" with its reason). Exit 0 when every example
did what the page says, 1 when one did not, 2 on a page that breaks the
convention.
"""

import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import termios
import time

ROFF_ESCAPES = {
    r"\e": "\\",
    r"\&": "",
    r"\-": "-",
    r"\(aq": "'",
    r"\(dq": '"',
    r"\(ga": "`",
    r"\(ti": "~",
    r"\(ha": "^",
    r"\(en": "-",
}
TIMEOUT = 300


class PageError(Exception):
    pass


def unroff(line, where):
    out = []
    i = 0
    while i < len(line):
        if line[i] != "\\":
            out.append(line[i])
            i += 1
            continue
        for esc, text in ROFF_ESCAPES.items():
            if line.startswith(esc, i):
                out.append(text)
                i += len(esc)
                break
        else:
            raise PageError("%s: roff escape %r the harness does not know" % (where, line[i:i + 4]))
    return "".join(out)


def bash_complete(text):
    """True when bash parses TEXT as whole commands."""
    if text.endswith("\\"):
        return False
    return subprocess.run(["bash", "-n"], input=text, text=True,
                          stderr=subprocess.DEVNULL).returncode == 0


class Command:
    def __init__(self, text, line):
        self.text = text
        self.line = line
        self.output = None
        m = re.search(r"#\s*exit (\d+)\s*$", text.rsplit("\n", 1)[-1])
        self.status = int(m.group(1)) if m else 0


class Block:
    def __init__(self, number, line, skip):
        self.number = number
        self.line = line
        self.skip = skip
        self.commands = []


def parse(path):
    """The setup names and the literal blocks of PATH's EXAMPLES."""
    name = os.path.basename(path)
    lines = open(path, encoding="utf-8").read().split("\n")
    setup, blocks = [], []
    inside = False
    skip = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(".Sh "):
            inside = line == ".Sh EXAMPLES"
        elif inside and line.startswith('.\\" examples-setup:'):
            setup += line.split(":", 1)[1].split()
        elif inside and line.startswith('.\\" example-skip:'):
            skip = line.split(":", 1)[1].strip()
            if not skip:
                raise PageError("%s:%d: example-skip without a reason" % (name, i + 1))
        elif inside and line.startswith(".Bd -literal"):
            block = Block(len(blocks) + 1, i + 1, skip)
            skip = None
            body = []
            i += 1
            while i < len(lines) and lines[i] != ".Ed":
                body.append((i + 1, unroff(lines[i], "%s:%d" % (name, i + 1))))
                i += 1
            if block.skip is None:
                parse_session(block, body, name)
            else:
                block.first = body[0][1] if body else ""
            blocks.append(block)
        i += 1
    if not blocks:
        raise PageError("%s: no literal block in EXAMPLES" % name)
    return setup, blocks


def parse_session(block, body, name):
    if not body or not body[0][1].startswith("$ "):
        raise PageError("%s:%d: a literal block in EXAMPLES that is neither a session "
                        "(its first line starts with \"$ \") nor marked with "
                        ".\\\" example-skip: REASON" % (name, block.line))
    j = 0
    while j < len(body):
        lineno, text = body[j]
        if text.startswith("$ "):
            cmd = text[2:]
            j += 1
            while not bash_complete(cmd):
                if j == len(body) or body[j][1].startswith("$ "):
                    raise PageError("%s:%d: the command does not end" % (name, lineno))
                cmd += "\n" + body[j][1]
                j += 1
            command = Command(cmd, lineno)
            out = []
            while j < len(body) and not body[j][1].startswith("$ "):
                out.append(body[j][1])
                j += 1
            command.output = out if out else None
            block.commands.append(command)
        else:
            j += 1


def script(blocks):
    """The bash script that runs every command, between markers."""
    parts = []
    for b in blocks:
        if b.skip is not None:
            continue
        for k, c in enumerate(b.commands):
            tag = "%d.%d" % (b.number, k)
            parts.append("printf '\\036B %s\\n'\n%s\nprintf '\\036E %s %%d\\n' \"$?\"\n"
                         % (tag, c.text, tag))
    return "".join(parts)


def run_on_pty(text, cwd, env):
    pid, fd = pty.fork()
    if pid == 0:
        try:
            attrs = termios.tcgetattr(1)
            attrs[1] &= ~termios.OPOST  # no \n -> \r\n
            termios.tcsetattr(1, termios.TCSANOW, attrs)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.chdir(cwd)
            os.execve("/bin/bash", ["bash", "--noprofile", "--norc", "-c", text], env)
        finally:
            os._exit(127)
    data = bytearray()
    deadline = time.monotonic() + TIMEOUT
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            data += b"\n\036TIMEOUT\n"
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        data += chunk
    os.close(fd)
    os.waitpid(pid, 0)
    return screen(data.decode("utf-8", "replace"))


def screen(text):
    """TEXT as a terminal shows it: a carriage return goes back to the start
    of the line (cs-put's progress), ESC [ K erases to its end, colours (jq's
    on a terminal) are not text."""
    lines = []
    for raw in text.split("\n"):
        line, col = [], 0
        for m in re.finditer(r"\r|\x1b\[[0-9;]*([A-Za-z])|[^\r\x1b]+|\x1b", raw):
            tok = m.group(0)
            if tok == "\r":
                col = 0
            elif tok.startswith("\x1b["):
                if m.group(1) == "K":
                    del line[col:]
            elif tok != "\x1b":
                line[col:col + len(tok)] = tok
                col += len(tok)
        lines.append("".join(line))
    return "\n".join(lines)


def results(stream):
    """{tag: (output, status)} from the marked stream."""
    got = {}
    for m in re.finditer(r"\x1eB (\S+)\n(.*?)\x1eE \1 (\d+)\n", stream, re.S):
        got[m.group(1)] = (m.group(2), int(m.group(3)))
    return got


def matches(expected, lines):
    """EXPECTED's lines, with "..." standing for any lines, are LINES."""
    pattern = "".join("(?:.*\n)*?" if e == "..." else re.escape(e) + "\n" for e in expected)
    return re.fullmatch(pattern, "".join(l + "\n" for l in lines)) is not None


def main():
    args = sys.argv[1:]
    listing = False
    fixtures = None
    while args and args[0].startswith("-"):
        if args[0] == "-l":
            listing = True
            args = args[1:]
        elif args[0] == "-F" and len(args) > 1:
            fixtures = args[1]
            args = args[2:]
        else:
            break
    if len(args) != (1 if listing else 2):
        sys.exit("usage: man-examples.py [-l] [-F FIXTURES] PAGE SCRATCH")
    page = args[0]
    name = os.path.basename(page)
    title = re.sub(r"\.(\d)$", r"(\1)", name)
    try:
        setup, blocks = parse(page)
    except PageError as e:
        print("man-examples: %s" % e, file=sys.stderr)
        return 2
    if listing:
        for b in blocks:
            if b.skip is not None:
                print("%s example %d: skip: %s" % (title, b.number, b.skip))
            else:
                for c in b.commands:
                    print("%s example %d: run: %s" % (title, b.number, c.text.replace("\n", " \\n ")))
        return 0

    scratch = args[1]
    os.makedirs(scratch, exist_ok=True)
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.symlink(tests, os.path.join(scratch, "tests"))
    for s in setup:
        dest, _, fixture = s.partition("=")
        fixture = fixture or dest
        if fixtures is None or not os.path.isdir(os.path.join(fixtures, fixture)):
            print("man-examples: %s: no fixture '%s'" % (name, fixture), file=sys.stderr)
            return 2
        shutil.copytree(os.path.join(fixtures, fixture), os.path.join(scratch, dest), symlinks=True)

    env = {k: v for k, v in os.environ.items() if k not in ("CS_FORMAT", "CS_STORE")}
    env.setdefault("CS_WAIT", "10")
    env["TERM"] = "dumb"
    got = results(run_on_pty(script(blocks), scratch, env))

    failed = 0
    ran = 0
    for b in blocks:
        if b.skip is not None:
            print("skipped: %s example %d (line %d, %r): %s" % (title, b.number, b.line, b.first, b.skip))
            continue
        for k, c in enumerate(b.commands):
            ran += 1
            tag = "%d.%d" % (b.number, k)
            where = "%s line %d: $ %s" % (title, c.line, c.text)
            if tag not in got:
                print("FAIL %s\n  did not finish (timeout, or an earlier command ended the shell)" % where)
                failed += 1
                continue
            output, status = got[tag]
            lines = output.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            bad = []
            if status != c.status:
                bad.append("exit status %d, the page says %d" % (status, c.status))
            if c.output is not None and not matches(c.output, lines):
                bad.append("printed:\n%s\n  the page shows:\n%s" % (
                    "\n".join("    | " + l for l in lines),
                    "\n".join("    | " + l for l in c.output)))
            elif c.output is None and status != c.status and lines:
                bad.append("printed:\n%s" % "\n".join("    | " + l for l in lines[:20]))
            if bad:
                failed += 1
                print("FAIL %s\n  %s" % (where, "\n  ".join(bad)))
    print("%s: %d commands run, %d failed, %d blocks skipped" % (
        title, ran, failed, sum(1 for b in blocks if b.skip is not None)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

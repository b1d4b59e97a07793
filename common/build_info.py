#!/usr/bin/env python3
"""Prints the build's identity as the initialiser of a BdBuildInfo (common/
build_info.h): "VERSION", "GIT_COMMIT", "OPTIONS". meson's vcs_tag runs it at
every build and rewrites build_info.c only when the text changes.

    build_info.py SOURCE_ROOT BUILD_ROOT VERSION [key=value ...]

GIT_COMMIT is `git describe --always --dirty` when SOURCE_ROOT is the top of a
git checkout, "" otherwise (a tarball, or a copy inside someone else's
repository). OPTIONS are every project option (meson_options.txt, read from
the build's introspection data, so a new option needs no change here), the
build settings that change the numbers, then the key=value arguments (the
compiler, the BLAS)."""
import json
import os
import subprocess
import sys

# Built-in options that change what the engine computes or checks.
BUILTIN = ("buildtype", "optimization", "b_ndebug", "b_lto", "c_args", "c_link_args")


def git_commit(src):
    def git(*args):
        return subprocess.run(["git", "-C", src, *args], capture_output=True, text=True, timeout=20,
                              check=True).stdout.strip()
    try:
        top = git("rev-parse", "--show-toplevel")
        if os.path.realpath(top) != os.path.realpath(src):
            return ""
        return git("describe", "--always", "--dirty", "--abbrev=12")
    except (OSError, subprocess.SubprocessError):
        return ""


def text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ",".join(str(v) for v in value) + "]"
    return str(value)


def options(build, extra):
    path = os.path.join(build, "meson-info", "intro-buildoptions.json")
    try:
        with open(path, encoding="utf-8") as f:
            intro = json.load(f)
    except (OSError, ValueError):
        return " ".join(["(meson options unknown)"] + extra)
    by_name = {o["name"]: o for o in intro}
    user = sorted(o["name"] for o in intro if o["section"] == "user")
    words = ["%s=%s" % (n, text(by_name[n]["value"])) for n in user]
    words += ["%s=%s" % (n, text(by_name[n]["value"])) for n in BUILTIN
              if n in by_name and by_name[n]["value"] not in ([], "")]
    return " ".join(words + extra)


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    src, build, version, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    print(", ".join(c_string(s) for s in (version, git_commit(src), options(build, extra))))


if __name__ == "__main__":
    main()

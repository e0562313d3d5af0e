#!/usr/bin/env python3
"""Writes a generated stack for scale tests and benchmarks: N CodeBuild projects, each
reading one parameter of its own, and N/10 pipelines (one CodeCommit source, ten build
actions each) over one repository and the stack's artifact bucket.

    python3 scripts/generate_stack.py PROJECTS DIRECTORY [--stack NAME]

writes DIRECTORY/cbctl.toml and DIRECTORY/buildspec.yml. PROJECTS is a multiple of 10.
The 100-project stack is the one issue 11 measured: about 322 resources.
"""

import argparse
import pathlib
import sys

BUILDSPEC = """version: 0.2
phases:
  build:
    commands:
      - echo "building $SETTING"
"""


def stack_toml(projects: int, stack: str) -> str:
    out = [f'[stack]\nname = "{stack}"\nregion = "us-east-1"\ntags = {{ team = "bench" }}\n']
    out.append('[repositories.app]\ndescription = "The application"\n')
    for i in range(projects):
        out.append(f'[parameters."/{stack}/p{i:04}"]\nvalue = "value {i}"\n')
        out.append(
            f'[projects.b{i:04}]\nbuildspec_file = "buildspec.yml"\nsource = {{ type = "codepipeline" }}\n'
            f'environment.variables = {{ SETTING = {{ parameter = "/{stack}/p{i:04}" }} }}\n'
        )
    for p in range(projects // 10):
        out.append(f'[[pipelines.ship{p:03}.stages]]\nname = "Source"\n'
                   'actions = [{ name = "Source", provider = "CodeCommit", repository = "app", branch = "main", output = "src" }]\n')
        actions = ", ".join(
            f'{{ name = "B{i:04}", provider = "CodeBuild", project = "b{i:04}", input = "src" }}'
            for i in range(p * 10, p * 10 + 10))
        out.append(f'[[pipelines.ship{p:03}.stages]]\nname = "Build"\nactions = [{actions}]\n')
    return "\n".join(out)


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("projects", type=int)
    args.add_argument("directory", type=pathlib.Path)
    args.add_argument("--stack", default="bench")
    a = args.parse_args()
    if a.projects <= 0 or a.projects % 10:
        print("PROJECTS must be a positive multiple of 10", file=sys.stderr)
        return 1
    a.directory.mkdir(parents=True, exist_ok=True)
    (a.directory / "cbctl.toml").write_text(stack_toml(a.projects, a.stack))
    (a.directory / "buildspec.yml").write_text(BUILDSPEC)
    return 0


if __name__ == "__main__":
    sys.exit(main())

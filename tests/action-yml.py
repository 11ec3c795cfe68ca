#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# action.yml, the GitHub Action: valid YAML with the keys GitHub requires of a composite
# action, every input it reads declared (and described), the reports it promises (JUnit, HTML,
# captures, an artifact), and every tcpfault command and option its scripts use accepted by
# the built tcpfault ('tcpfault COMMAND --help'), every other program it runs known, every
# file of the repository it reads present.
#   action-yml.py ACTION_YML TCPFAULT REPO_ROOT
import os, re, shlex, subprocess, sys

try:
    import yaml
except ImportError:
    print("action-yml.py: python3's yaml module is not installed (Debian: python3-yaml)", file=sys.stderr)
    sys.exit(77)

path, tcpfault, root = sys.argv[1:4]
errors = []
def need(cond, msg):
    if not cond:
        errors.append(msg)

with open(path) as f:
    action = yaml.safe_load(f)
need(isinstance(action, dict), "not a mapping")
for key in ("name", "description", "inputs", "runs"):
    need(key in action, f"no '{key}'")
runs = action.get("runs", {})
need(runs.get("using") == "composite", "runs.using is not 'composite'")
steps = runs.get("steps") or []
need(len(steps) > 0, "no steps")
inputs = action.get("inputs") or {}
for name, spec in inputs.items():
    need(isinstance(spec, dict) and spec.get("description"), f"input '{name}' has no description")

text = open(path).read()
for used in re.findall(r"inputs\.([A-Za-z0-9_-]+)", text):
    need(used in inputs, f"'inputs.{used}' is not declared")

uses = [s["uses"] for s in steps if "uses" in s]
need(any(u.startswith("actions/upload-artifact@v") for u in uses), "no actions/upload-artifact step")
for u in uses:
    need(re.search(r"@v?\d", u) is not None, f"'{u}' is not pinned to a version")

# The programs the scripts may run: shell builtins and keywords, what a GitHub runner has.
known = {"set", "export", "mkdir", "tar", "sudo", "apt-get", "dpkg-buildpackage", "tail", "exit",
         "sysctl", "cd", "env", "echo", "case", "esac", "for", "do", "done", "if", "then", "fi",
         "id", "chown", "tcpfault", "true", "["}
runs_tcpfault = []
for s in steps:
    if "run" not in s:
        continue
    need("shell" in s, f"step '{s.get('name')}': a composite run step needs 'shell'")
    script = s["run"]
    for ref in re.findall(r'\$GITHUB_ACTION_PATH/([^"\s)]+)', script):
        need(os.path.exists(os.path.join(root, ref)), f"the action reads {ref}, not in the repository")
    if "apt-get build-dep" in script:
        need(os.path.exists(os.path.join(root, "debian", "control")), "build-dep without debian/control")
    # Each command: the first word of a line or after ( ; && || | $( and past sudo/env options.
    script = script.replace("\\\n", " ")          # continuation lines joined
    for line in script.splitlines():
        # Quoted text is data, not commands ("${as[@]}", the optional sudo, excepted).
        line = re.sub(r'"[^"]*"', lambda m: m.group(0) if m.group(0) == '"${as[@]}"' else '"S"', line.strip())
        if not line or line.startswith("#"):
            continue
        line = re.sub(r'\bsudo\s+(?:-\S+\s+)*', 'sudo; ', line)   # sudo runs the next word
        for m in re.finditer(r'(?:^|[;(|&]\s*|\$\(\s*|"\$\{as\[@\]\}"\s+)([A-Za-z\[][\w.\[=$?-]*)', line):
            word = m.group(1)
            if "=" in word and not word.startswith("["):
                continue          # an assignment
            need(word in known or word.startswith("$"), f"the action runs '{word}', not known to this test")
        for m in re.finditer(r'\btcpfault\s+(\w+)([^\n]*)', line):
            runs_tcpfault.append((m.group(1), m.group(2)))

need(runs_tcpfault, "no 'tcpfault' command in the action")
commands = {}
for cmd, rest in runs_tcpfault:
    if cmd not in commands:
        p = subprocess.run([tcpfault, cmd, "--help"], capture_output=True, text=True)
        need(p.returncode == 0, f"'tcpfault {cmd} --help' exits {p.returncode}: no such command?")
        commands[cmd] = p.stdout
    for opt in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", rest):
        need(re.search(r"(?<![\w-])" + re.escape(opt) + r"\b", commands[cmd]) is not None,
             f"'tcpfault {cmd}' has no option {opt}")
joined = " ".join(r for c, r in runs_tcpfault if c == "run")
for want in ("--format junit", "--format html", "--pcap-dir"):
    need(want in joined, f"no 'tcpfault run ... {want}'")

if errors:
    for e in errors:
        print("FAIL", e, file=sys.stderr)
    sys.exit(1)
print(f"ok: {len(steps)} steps, {len(inputs)} inputs, tcpfault {sorted(commands)} with their options")

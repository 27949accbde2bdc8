# SPDX-License-Identifier: Apache-2.0
"""rkt 1.30's exact bytes on the command line: help pages (cobra's template, laid out by Go's
tabwriter), unknown commands and help topics, parse and usage errors, the messages of a few
failures, the JSON of generated pod manifests, the rendered tree's manifest, and
`rkt completion bash`. The expected help pages are the project's copy of rkt's output in
tests/functional/data/rkt-1.30-help/."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from aci import default_manifest
from conftest import RKT_BIN, run_bare
from podtest import INSECURE, img, pods, stage1_path  # noqa: F401 (fixtures)
from test_stage0 import stub_stage1

HELP = Path(__file__).resolve().parent / "data" / "rkt-1.30-help"
# the commands of rkt 1.30 this project does not have (yet)
MISSING = set()
# ours that rkt 1.30 did not have: (the command listed before it, its line in the page)
EXTRA = [("list", "\tlogs\t\t\tPrint the logs of a pod's apps\n")]


def page(name):
    text = (HELP / f"{name}.txt").read_text()
    if name == "rkt":  # without the commands we do not have, with ours
        lines = []
        for line in text.splitlines(True):
            word = line.split("\t")[1:2]
            if word in ([m] for m in MISSING):
                continue
            lines.append(line)
            lines += [extra for after, extra in EXTRA if word == [after]]
        text = "".join(lines)
    return text


def help_pages():
    return sorted(p.stem for p in HELP.glob("*.txt") if p.stem not in ("rkt",))


def command_words(name):
    """image-cat-manifest -> ["image", "cat-manifest"]; run-prepared stays one word."""
    if name.startswith("image-"):
        return ["image", name[len("image-"):]]
    return [name]


# --------------------------------------------------------------------------- help pages

@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["help"]])
def test_root_help_page(argv):
    r = run_bare(*argv)
    assert (r.code, r.err) == (0, "")
    assert r.out == page("rkt")


@pytest.mark.parametrize("name", help_pages())
def test_help_page_bytes(name):
    if name in MISSING:
        pytest.skip(f"rkt {name} is not implemented")
    words = command_words(name)
    for argv in (["help", *words], [*words, "--help"], [*words, "-h"]):
        r = run_bare(*argv)
        assert (r.code, r.err) == (0, ""), (argv, r)
        assert r.out == page(name), argv


def test_help_pages_of_commands_without_a_reference():
    # image, image verify and completion follow the same template
    r = run_bare("help", "image")
    assert r.code == 0 and r.err == ""
    assert r.out.startswith("NAME:\n\timage - Operate on image(s) in the local store\n\n"
                            "USAGE:\n\trkt image [command]\n\nCOMMANDS:\n"
                            "\tcat-manifest\tInspect and print the image manifest\n"
                            "\texport\t\tExport a stored image to an ACI file\n")
    assert "\nDESCRIPTION:\n\tThis subcommand operates on image(s) in the local store.\n\t\n" \
           in r.out
    assert "\tfetch\t" not in r.out  # the hidden `image fetch`
    assert r.out.endswith("\nGLOBAL OPTIONS:\n" + page("rkt").split("\nOPTIONS:\n")[1])
    r = run_bare("image", "verify", "--help")
    assert r.out.startswith("NAME:\n\timage verify - Verify one or more rendered images in the "
                            "local store\n\nUSAGE:\n\trkt image verify IMAGE...\n\n"
                            "DESCRIPTION:\n\tVerify is able to check that")
    r = run_bare("completion", "--help")
    assert r.out.startswith("NAME:\n\tcompletion - Output shell completion code for the "
                            "specified shell\n\nUSAGE:\n\trkt completion SHELL\n\n"
                            "DESCRIPTION:\n\tThis command outputs completion code")
    assert "\n\t\t$ source <(rkt completion bash)\n\nGLOBAL OPTIONS:\n" in r.out


# --------------------------------------------------------------------------- unknown commands

def test_unknown_command(tmp_path):
    r = run_bare("frobnicate", cwd=tmp_path)
    assert (r.code, r.out) == (254, "")
    assert r.err == ('Error: unknown command "frobnicate" for "rkt"\n'
                     "Run 'rkt --help' for usage.\n")


@pytest.mark.parametrize("word,suggestions", [
    ("r", ["gc", "rm", "run", "run-prepared"]),  # distance <= 2, or a prefix
    ("stauts", ["status"]),
    ("IMAGES", ["image"]),  # case does not count
])
def test_unknown_command_suggestions(tmp_path, word, suggestions):
    r = run_bare(word, cwd=tmp_path)
    assert (r.code, r.out) == (254, "")
    assert r.err == (f'Error: unknown command "{word}" for "rkt"\n\nDid you mean this?\n'
                     + "".join(f"\t{s}\n" for s in suggestions)
                     + "\nRun 'rkt --help' for usage.\n")


def test_unknown_help_topic():
    r = run_bare("help", "bogus")
    assert (r.code, r.out) == (0, page("rkt"))
    assert r.err == "Unknown help topic [`bogus`]."


def test_help_of_an_unknown_subcommand_is_the_group_help():
    assert run_bare("help", "image", "bogus").out == run_bare("help", "image").out


# --------------------------------------------------------------------------- parse errors

def test_unknown_flag_is_reported_once():
    r = run_bare("version", "--foo")
    assert (r.code, r.err, r.out) == (254, "Error: unknown flag: --foo\n\n", page("version"))


def test_bad_bool_value_names_the_flag_as_given():
    r = run_bare("--debug=maybe", "version")
    assert r.code == 254 and r.out == page("version")
    assert r.err == ('Error: invalid argument "maybe" for --debug=maybe: strconv.ParseBool: '
                     'parsing "maybe": invalid syntax\n\n')


def test_bad_value_of_a_separate_word():
    r = run_bare("image", "list", "--order", "up")
    assert r.code == 254 and r.out == page("image-list")
    assert r.err == 'Error: invalid argument "up" for --order: wrong sort order\n\n'


def test_help_stops_parsing():
    r = run_bare("version", "--help", "--foo")
    assert (r.code, r.err, r.out) == (0, "", page("version"))


def test_boolean_flags_before_commands_without_flags(rkt):
    # a boolean global flag takes no value word, also where the command has no flags
    assert rkt.ok("--debug", "image", "list", "--no-legend").out == "\n"
    assert rkt.ok("--debug", "version").out == rkt.ok("version").out


def test_rkt_alone():
    r = run_bare()
    assert (r.code, r.err, r.out) == (2, "rkt: missing command\n", page("rkt"))


def test_rkt_with_a_bad_flag_only():
    r = run_bare("--foo")
    assert (r.code, r.err, r.out) == (254, "Error: unknown flag: --foo\n\n", page("rkt"))


# --------------------------------------------------------------------------- messages

@pytest.mark.parametrize("arg,labels", [
    ("example.com/nothere", "[]"),
    ("example.com/nothere:1.0,os=linux", '["version":"1.0", "os":"linux"]'),
])
def test_image_rm_of_an_unknown_name(rkt, arg, labels):
    r = rkt("image", "rm", arg)
    assert r.err == (f'rm: cannot find aci satisfying name: "{arg.split(":")[0]}" and labels: '
                     f"{labels} in the local store\n")
    assert r.out == ""


def test_fetch_of_a_missing_file(rkt, tmp_path):
    (tmp_path / "sub").mkdir()
    for arg in ("./nothere.aci", "sub/../nothere.aci"):
        r = rkt(INSECURE, "fetch", arg, cwd=tmp_path)
        assert (r.code, r.out) == (254, "")
        assert r.err == f"fetch: open {tmp_path}/nothere.aci: no such file or directory\n"


def test_list_with_an_unknown_format(rkt):
    r = rkt("list", "--format=yaml")
    assert (r.code, r.out, r.err) == (254, "", "list: Invalid format option: yaml\n")


@pytest.mark.parametrize("flag,msg", [
    ("--order=up", 'invalid argument "up" for --order=up: wrong sort order'),
    ("--format=yaml", 'invalid argument "yaml" for --format=yaml: unknown output format "yaml"'),
])
def test_image_list_bad_flag_values_are_flag_errors(rkt, flag, msg):
    r = rkt("image", "list", flag)
    assert (r.code, r.out, r.err) == (254, page("image-list"), f"Error: {msg}\n\n")


@pytest.mark.parametrize("argv,name", [
    (["image", "export"], "image-export"), (["image", "extract", "x"], "image-extract"),
    (["image", "render"], "image-render"), (["image", "cat-manifest"], "image-cat-manifest"),
    (["export", "x"], "export"), (["run-prepared"], "run-prepared"),
    (["cat-manifest"], "cat-manifest"), (["status"], "status"), (["rm"], "rm"),
    (["stop"], "stop"), (["enter"], "enter"), (["metadata-service", "x"], "metadata-service"),
])
def test_missing_arguments_print_the_usage_only(rkt, argv, name):
    r = rkt(*argv)
    assert (r.code, r.err, r.out) == (254, "", page(name))


def test_image_verify_without_argument(rkt):
    r = rkt("image", "verify")
    assert (r.code, r.out, r.err) == (254, "", "verify: must provide at least one image ID\n")


@pytest.mark.parametrize("first,second", [("stage1-url", "stage1-path"),
                                          ("stage1-hash", "stage1-name")])
def test_stage1_flags_mutual_exclusion(rkt, first, second):
    r = rkt("run", f"--{first}=a", f"--{second}=b", "example.com/x")
    assert (r.code, r.out) == (254, page("run"))
    assert r.err == (f'Error: invalid argument "b" for --{second}=b: flags --{second} and '
                     f"--{first} are mutually exclusive\n\n")
    r = rkt("prepare", f"--{first}=a", f"--{first}=b", "example.com/x")
    assert (r.code, r.out) == (254, page("prepare"))
    assert r.err == f'Error: invalid argument "b" for --{first}=b: --{first} already used\n\n'


def no_rkt_group(tmp_path, argv):
    """argv run in a private mount namespace whose /etc/group has no "rkt" group."""
    group = tmp_path / "group"
    group.write_text("".join(line for line in Path("/etc/group").read_text().splitlines(True)
                             if not line.startswith("rkt:")))
    return ["unshare", "--mount", "--net", "sh", "-c",
            'mount --bind "$0" /etc/group && exec "$@"', str(group)] + argv


@pytest.mark.parametrize("cmd", ["prepare", "run"])
def test_missing_rkt_group_warning(rkt, tmp_path, mkaci, cmd):
    stub = stub_stage1(tmp_path / "stub.aci")
    app = mkaci("example.com/nogroup")
    argv = rkt.args() + [INSECURE, cmd, "--no-overlay", f"--stage1-path={stub.path}", app.path]
    r = subprocess.run(no_rkt_group(tmp_path, argv), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("group") == 1, r.stderr
    assert f'{cmd}: group "rkt" not found, will use default gid when rendering images\n' \
        in r.stderr
    r = rkt.ok(INSECURE, cmd, "--no-overlay", f"--stage1-path={stub.path}", app.path)
    assert "group" not in r.err
    rkt.ok("gc", "--grace-period=0s", "--expire-prepared=0s")


def test_enter_unknown_app(pods, img):  # noqa: F811
    p = pods.start(img.path, "--", "--silent-sigterm", "--sleep=60")
    pods.wait_ready(p.uuid)
    r = pods("enter", "--app=nope", p.uuid, "/inspect")
    assert (r.code, r.out, r.err) == (254, "", "enter: no app nope in the pod\n")


# --------------------------------------------------------------------------- JSON

def test_generated_pod_manifest_ports_and_resource_isolators(rkt, tmp_path, img):  # noqa: F811
    r = rkt.ok(INSECURE, "prepare", "--quiet", f"--stage1-path={stage1_path('native')}",
               img.path, "--memory=16Mi", "--cpu=500m")
    uuid = r.out.strip()
    out = rkt.ok("cat-manifest", "--pretty-print=false", uuid).out
    assert out.endswith(',"ports":[]}\n'), out
    assert ('{"name":"resource/memory","value":{"default":false,"request":"16Mi",'
            '"limit":"16Mi"}}') in out
    assert '{"name":"resource/cpu","value":{"default":false,"request":"500m","limit":"500m"}}' \
        in out
    pretty = rkt.ok("cat-manifest", uuid).out
    assert '\t"ports": []\n}\n' in pretty
    assert '"default": false,' in pretty


def test_image_resource_isolators_keep_default_false(rkt, mkaci):
    iso = [{"name": "resource/memory", "value": {"default": False, "limit": "1G"}}]
    m = default_manifest("example.com/iso")
    m["app"]["isolators"] = iso
    a = mkaci("example.com/iso", manifest=m)
    rkt.fetch(a.path)
    out = rkt.ok("image", "cat-manifest", "--pretty-print=false", a.key).out
    assert '"isolators":[{"name":"resource/memory","value":{"default":false,"limit":"1G"}}]' \
        in out


def test_rendered_tree_keeps_the_manifest_bytes(rkt, mkaci, tmp_path):
    a = mkaci("example.com/raw")
    raw = json.dumps(a.manifest, indent=2).encode()
    rkt.fetch(a.path)
    tree = rkt.tree_path(a.tree_id)
    assert (tree / "manifest").read_bytes() == raw
    # rendered again by `image render` after the tree is gone
    subprocess.run(["rm", "-rf", str(tree)], check=True)
    rkt.ok("image", "render", a.key, tmp_path / "out")
    assert (tree / "manifest").read_bytes() == raw


# --------------------------------------------------------------------------- completion

def complete(line, tmp_path):
    """The completions bash offers for `line` (ending where TAB is pressed), with Debian's
    bash-completion and the script of `rkt completion bash` sourced in an interactive bash."""
    script = tmp_path / "rkt.bash"
    r = run_bare("completion", "bash")
    assert r.code == 0 and r.err == "", r
    script.write_text(r.out)
    prog = f"""
source /usr/share/bash-completion/bash_completion
source {script}
COMP_LINE={line!r}
COMP_POINT=${{#COMP_LINE}}
read -r -a COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
complete -p rkt >&2
__start_rkt rkt "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = dict(os.environ, PATH=f"{Path(RKT_BIN).parent}:{os.environ['PATH']}",
               HOME=str(tmp_path), INPUTRC="/dev/null")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-i", "-c", prog],
                       capture_output=True, text=True, env=env, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert "complete -o default -F __start_rkt rkt\n" in p.stderr  # what TAB runs
    return p.stdout.split()


@pytest.mark.parametrize("line,want", [
    ("rkt im", ["image"]),
    ("rkt image l", ["list"]),
    ("rkt r", ["rm", "run", "run-prepared"]),
    ("rkt --deb", ["--debug"]),
    ("rkt image list --fi", ["--fields="]),
    ("rkt --debug image ca", ["cat-manifest"]),
    ("rkt completion ", ["bash"]),
])
def test_bash_completion(tmp_path, line, want):
    assert complete(line, tmp_path) == want


@pytest.mark.parametrize("argv,err", [
    ([], "completion: shell type is not specified\n"),
    (["bash", "zsh"], "completion: too many arguments, only shell type is expected\n"),
    (["zsh"], "completion: 'zsh' shell is not supported\n"),
])
def test_completion_argument_errors(argv, err):
    r = run_bare("completion", *argv)
    assert (r.code, r.out, r.err) == (254, "", err)

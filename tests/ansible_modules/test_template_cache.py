"""plugin_utils/template_cache.py: the workers of one run share the Jinja templates they compile, and render exactly
what ansible-core renders without it."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[2] / "collections"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

# Run in a process of its own, as a run's controller: it renders, then forks a "worker" that renders again.
_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from ansible.template import Templar, trust_as_template
    from ansible_collections.dagster_ecs.aws.plugins.plugin_utils import template_cache

    installed = template_cache.install()
    compiles = []
    _real = template_cache._compile
    def counting(*args, **kwargs):
        compiles.append(1)
        return _real(*args, **kwargs)
    template_cache._compile = counting

    VARIABLES = {"a": 1, "b": trust_as_template("x{{ a }}"), "items": [3, 1, 2]}
    HEADER = "#jinja2:variable_start_string:'[[', variable_end_string:']]'\\n"

    def render():
        templar = Templar(variables=VARIABLES)
        t = lambda source, **options: templar.template(trust_as_template(source), **options)
        return {
            "nested": t("{{ b | upper }}-{% if a == 1 %}one{% endif %}"),
            "loop": t("{% for i in items | sort %}{{ i }}{% endfor %}"),
            "conditional": templar.evaluate_conditional(trust_as_template("a == 1 and b is match('x')")),
            # The same body after the header is stripped: another lexer, so another compiled template.
            "other delimiters": t(HEADER + "[[ a ]] {{ a }}"),
            "default delimiters": t("[[ a ]] {{ a }}"),
            "escaped": t("{{ 'c:\\\\new' }}", escape_backslashes=True),
            "not escaped": t("{{ 'c:\\\\new' }}", escape_backslashes=False),
        }

    controller = render()
    controller_compiles = len(compiles)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: a fresh memory of its own would not matter, the files do
        template_cache._memory.clear()
        compiles.clear()
        same = render()
        Templar(variables=VARIABLES).template(trust_as_template("{{ a + 41 }}"))
        os.write(write, json.dumps({"rendered": same, "compiles": len(compiles)}).encode())
        os._exit(0)
    os.close(write)
    worker = json.loads(os.read(read, 1 << 16))
    os.waitpid(pid, 0)
    json.dump({"installed": installed, "controller": controller, "controller_compiles": controller_compiles,
               "worker": worker}, sys.stdout)
    """
)


def _run(script: str, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(COLLECTIONS), **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(result.stdout)


def test_a_forked_worker_loads_what_the_controller_compiled_and_renders_the_same() -> None:
    out = _run(_SCRIPT)
    assert out["installed"] is True
    assert out["controller"] == {
        "nested": "X1-one",
        "loop": "123",
        "conditional": True,
        "other delimiters": "1 {{ a }}",
        "default delimiters": "[[ a ]] 1",
        "escaped": "c:\\new",
        "not escaped": "c:\new",
    }
    # Every template and the conditional compiled once in the controller (the two bodies that differ only by
    # their delimiters and the two escapings too), and not again in the worker, which compiled only its new one.
    assert out["controller_compiles"] == 8
    assert out["worker"] == {"rendered": out["controller"], "compiles": 1}


def test_turned_off_it_leaves_ansible_core_alone() -> None:
    out = _run(_SCRIPT, DAGSTER_ECS_TEMPLATE_CACHE="false")
    assert out["installed"] is False
    assert out["worker"]["rendered"] == out["controller"]
    assert out["controller_compiles"] == 0  # nothing went through the cache's compile
    assert out["worker"]["compiles"] == 0


_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    a: "{{ b | upper }}"
    b: "x{{ c }}"
    c: 3
  tasks:
    - ansible.builtin.set_fact:
        first: "{{ a }}-{{ b }} {% if c == 3 %}three{% endif %}"
    - ansible.builtin.set_fact:
        second: "{{ a }}-{{ b }} {% if c == 3 %}three{% endif %}"
      when: b is match('x') and c > 2
    - ansible.builtin.set_fact:
        joined: "{{ [1, 2, 3] | map('string') | join(',') }}"
    - ansible.builtin.debug:
        msg: "{{ bad syntax }}"
"""


def _playbook(tmp_path: Path, cache: str) -> tuple[int, list[dict]]:
    (tmp_path / "play.yml").write_text(_PLAYBOOK)
    result = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", "-c", "local", "play.yml"],
        cwd=tmp_path,
        env={
            **os.environ,
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
            "ANSIBLE_STRATEGY": "dagster_ecs.aws.mitogen_linear",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_HOME": str(tmp_path / ".ansible"),
            "DAGSTER_ECS_TEMPLATE_CACHE": cache,
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    tasks = json.loads(result.stdout)["plays"][0]["tasks"]
    return result.returncode, [task["hosts"]["localhost"] for task in tasks]


def test_a_playbook_runs_the_same_with_and_without_it(tmp_path: Path) -> None:
    (tmp_path / "on").mkdir()
    (tmp_path / "off").mkdir()
    rc_on, on = _playbook(tmp_path / "on", "true")
    rc_off, off = _playbook(tmp_path / "off", "false")
    facts = [result.get("ansible_facts") for result in on]
    assert facts[:3] == [{"first": "X3-x3 three"}, {"second": "X3-x3 three"}, {"joined": "1,2,3"}]
    assert rc_on == rc_off == 2  # the syntax error fails the last task either way, with the same message
    assert [result.get("msg") for result in on] == [result.get("msg") for result in off]
    assert "Syntax error in template" in on[-1]["msg"]

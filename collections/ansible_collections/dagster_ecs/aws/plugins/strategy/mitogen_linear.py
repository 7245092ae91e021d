# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: mitogen_linear
short_description: The linear strategy, with modules run by Mitogen in one persistent interpreter
description:
  - Ansible's C(linear) strategy with Mitogen for Ansible's connection and module runner: instead of starting a new
    Python interpreter per task (and per loop item) that imports botocore and the module utilities again, modules run
    in a persistent interpreter on the target. Every task of this project runs on the control node and calls AWS, so
    this is where the time of a deploy goes (docs/benchmarks.md measures it).
  - That interpreter parses each of botocore's service models once (module_utils/botocore_models.py), not once per
    task: every AWS module starts a new boto3 session, whose loader would read the model's JSON again.
  - The controller lists the installed collections once per run, not once per task: Mitogen's planner lists them
    for every task in the task's forked worker, where its cache does not outlive the task (the C(ansible) package
    installs about a hundred collections, a third of a worker's time).
  - The workers of a run share the Jinja templates they compile (plugin_utils/template_cache.py): ansible-core
    compiles every template and conditional again in each task's forked worker. C(DAGSTER_ECS_TEMPLATE_CACHE=false)
    turns that off.
  - Module behaviour, check mode and diff are unchanged; the plays and roles need no change.
  - Without the C(mitogen) Python package it warns and behaves as C(linear) (with the template sharing).
    C(ANSIBLE_STRATEGY=linear) turns Mitogen off for a run.
requirements:
  - mitogen >= 0.3.54 (the first release for ansible-core 2.21), in the Python that runs ansible-playbook
"""

import functools
from typing import Any

from ansible.plugins.loader import strategy_loader
from ansible.utils.display import Display

try:
    from ansible_collections.dagster_ecs.aws.plugins.plugin_utils import template_cache
except (ImportError, AttributeError) as error:  # another ansible-core than the lock's
    Display().warning(f"dagster_ecs.aws.mitogen_linear: each task compiles its own templates ({error!r})")
else:
    template_cache.install()

_Linear = strategy_loader.get("ansible.builtin.linear", class_only=True)

try:
    # Mitogen's own plugin is a mix-in over `linear` in a file that patches sys.path; this is the same class
    # without the path patching, found by FQCN through the collection path like the project's other plugins.
    import ansible_mitogen.strategy
except ImportError:
    Display().warning("dagster_ecs.aws.mitogen_linear: the mitogen package is not installed, running as linear")

    class StrategyModule(_Linear):
        pass

else:
    import ansible.collections.list
    import ansible_mitogen.planner
    import ansible_mitogen.services
    from ansible_collections.dagster_ecs.aws.plugins.module_utils import botocore_models

    _connect = ansible_mitogen.services.ContextService._connect

    def _connect_sharing_models(self: Any, key: Any, spec: dict, via: Any = None) -> dict:
        # The mux process runs this for each new target interpreter; modules that do not fork run in it.
        response = _connect(self, key, spec, via=via)
        if response.get("context") is not None:
            response["context"].call(botocore_models.share_parsed_models)
        return response

    ansible_mitogen.services.ContextService._connect = _connect_sharing_models

    @functools.cache
    def _collection_dirs() -> tuple[str, ...]:
        return tuple(path.decode("utf-8") for path in ansible.collections.list.list_collection_dirs())

    def _load_collections_once(invocation: Any) -> None:
        # What ansible_mitogen.planner._load_collections does, from the list the controller made before forking.
        invocation._extra_sys_paths.update(_collection_dirs())

    ansible_mitogen.planner._load_collections = _load_collections_once  # ty: ignore[invalid-assignment]

    class StrategyModule(ansible_mitogen.strategy.StrategyMixin, _Linear):
        def run(self, *args: Any, **kwargs: Any) -> Any:
            _collection_dirs()  # in the controller, so that every task's forked worker inherits the list
            return super().run(*args, **kwargs)

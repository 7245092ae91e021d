# The require_tags option, shared by the modules that delete resources the playbook may not have created.


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  require_tags:
    description:
      - With O(state=absent), delete only when the resource carries every one of these tags; otherwise leave it
        alone and warn. Protects resources the playbook did not create.
    type: dict
"""

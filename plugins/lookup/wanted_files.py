"""The files a role writes, each with the SHA-1 of the content the role would write: a template
rendered as the template module renders it, or the given content. The role's one read of the
host (module host_state, filter state_drift) compares it with what the host has."""

from __future__ import annotations

DOCUMENTATION = r"""
name: wanted_files
author: ai_navigator.fleet developers (@ai-navigator)
version_added: 1.0.0
short_description: The files a role writes, with the checksum of the content it would write
description:
  - Takes the role's files, each a mapping with C(path) and the attributes the role sets (C(state), C(owner),
    C(group), C(mode)); one with C(template) gets C(checksum), the SHA-1 of that template rendered as
    M(ansible.builtin.template) renders it (with the task's variables and the role's template path);
    one with C(content) gets the SHA-1 of that content.
  - Returns them in the same order, without C(content), for C(ai_navigator.fleet.state_drift).
options:
  _terms:
    description: The files, as mappings.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
paths: "{{ lookup('ai_navigator.fleet.wanted_files', *_ai_navigator_firewall_files.values()) }}"
"""

RETURN = r"""
_raw:
  description: The files, each with C(checksum) where a template or content gives one.
  type: list
  elements: dict
"""

import hashlib

from ansible.errors import AnsibleError
from ansible.plugins.loader import lookup_loader
from ansible.plugins.lookup import LookupBase


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        template = lookup_loader.get("ansible.builtin.template", loader=self._loader, templar=self._templar)
        files = []
        for term in terms:
            if not isinstance(term, dict) or "path" not in term:
                raise AnsibleError(f"wanted_files: each file is a mapping with a path, not {term!r}")
            wanted = {key: value for key, value in term.items() if key != "content"}
            if term.get("template"):
                wanted["checksum"] = sha1(template.run([term["template"]], variables)[0])
            elif "content" in term:
                wanted["checksum"] = sha1(term["content"])
            files.append(wanted)
        # A lookup's list is flattened into its caller's: one file per element, as given.
        return files

"""Controller CPU per task, for bench/fleet_scale.py --profile: at each task's start, the CPU the
ansible-playbook process and its reaped children (the workers, their ssh clients, modules run on
the controller) have used so far; a task's figure is the difference to the next task's start.
Workers are reaped a little late, so a figure may carry a bit of its neighbour's."""

from __future__ import annotations

DOCUMENTATION = r"""
name: task_cpu
type: aggregate
short_description: Controller CPU per task, written as JSON
description:
  - At each task's start, reads the CPU of this process and its reaped children; writes one entry per
    task (name, CPU seconds, wall seconds, results per status) to the file in C(TASK_CPU_OUT) at the end.
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os
import resource
import time

from ansible.plugins.callback import CallbackBase


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_cpu"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.tasks: list[dict] = []
        self.current: dict | None = None

    def _close(self) -> None:
        if self.current:
            self.current["cpu"] = cpu_seconds() - self.current.pop("cpu_at_start")
            self.current["wall"] = time.monotonic() - self.current.pop("wall_at_start")
            self.tasks.append(self.current)
            self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self.current = {"task": task.get_name(), "role": task._role.get_name() if task._role else "", "results": {},
                        "cpu_at_start": cpu_seconds(), "wall_at_start": time.monotonic()}

    v2_playbook_on_handler_task_start = v2_playbook_on_task_start

    def _count(self, status: str) -> None:
        if self.current:
            self.current["results"][status] = self.current["results"].get(status, 0) + 1

    def v2_runner_on_ok(self, result):
        self._count("ok")

    def v2_runner_on_skipped(self, result):
        self._count("skipped")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count("failed")

    def v2_runner_on_unreachable(self, result):
        self._count("unreachable")

    def v2_playbook_on_stats(self, stats):
        self._close()
        out = os.environ.get("TASK_CPU_OUT")
        if out:
            with open(out, "w") as written:
                json.dump({"total_cpu": cpu_seconds(), "tasks": self.tasks}, written)

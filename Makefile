# Thin wrappers. Needs root (the lab uses namespaces, mounts and systemd-nspawn).
VENV := .venv/bin
LAB := scripts/lab.sh
SCENARIOS := $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
export ANSIBLE_FORCE_COLOR := false
# Molecule and ansible-lint call ansible-* by name: the venv comes first.
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: setup demo test lint unit molecule bench destroy image containers k8s sanity

setup:
	scripts/setup.sh

## demo: boot the lab fleet (1 LB + 2 app hosts), deploy with site.yml, show an answer
demo: setup
	$(LAB) create demo lb1 app1 app2 >/dev/null
	ln -sfn /var/lib/ai-navigator-lab/demo/hosts.yml inventories/lab/hosts.yml
	$(VENV)/ansible-playbook playbooks/site.yml
	@lb=$$($(VENV)/ansible-inventory --host lb1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["ansible_host"])'); \
	ca=/var/lib/ai-navigator-lab/demo/tls/ca.crt; \
	echo; echo "The lab fleet answers at https://$$lb/ (inventory: inventories/lab/hosts.yml; the lab CA: $$ca)"; \
	echo "\$$ curl -s --cacert $$ca -X POST https://$$lb/api/ai/navigate -H 'Content-Type: application/json' -d '{\"query\": \"from Berlin to Munich via Nuremberg\"}'"; \
	curl -s --cacert $$ca -X POST https://$$lb/api/ai/navigate -H 'Content-Type: application/json' \
	  -d '{"query": "from Berlin to Munich via Nuremberg"}'; echo

## test: lint, ansible-test sanity, the service's tests, the collection's unit tests, every molecule scenario, the container tests
test: setup lint sanity unit molecule containers

lint:
	$(VENV)/ansible-lint
	$(VENV)/ruff check app bench molecule plugins roles scripts tests
	$(VENV)/mypy --config-file app/pyproject.toml
	shellcheck scripts/lab.sh scripts/setup.sh .ci/run scripts/containers/*.sh scripts/sanity.sh
	$(VENV)/hadolint app/Dockerfile deploy/compose/nginx/Dockerfile

## unit: the service's and the collection's tests, with the service's coverage (floor: fail_under in app/pyproject.toml)
unit:
	$(VENV)/pytest app/tests tests --cov --cov-config=app/pyproject.toml

## sanity: ansible-test sanity for the pinned ansible-core on the venv's Python, no containers
## (ignores with reasons: tests/sanity/ignore-<core version>.txt)
sanity: setup
	scripts/sanity.sh

molecule:
	@passed=0; for s in $(SCENARIOS); do \
	  $(VENV)/python scripts/molecule_timed.py $$s || { echo "scenarios: $$passed passed, 1 failed"; exit 1; }; \
	  passed=$$((passed + 1)); \
	done; echo "scenarios: $$passed passed, 0 failed"

## k8s: render every Kubernetes overlay, validate it (1.30 and 1.37 schemas), check it against the
## service, and smoke-run the 1-replica overlay with podman kube play (leaves nothing behind);
## -s: the tests print their timings
k8s:
	AI_NAVIGATOR_CONTAINERS=1 $(VENV)/pytest -p no:cacheprovider -s tests/test_kubernetes.py tests/test_kubernetes_podman.py

bench: setup
	$(VENV)/python app/bench/bench_service.py

## bench-fleet: the controller's cost per host of site.yml and rolling_update.yml on labs of 1 LB + 2
## and 1 LB + 8 app hosts, nginx against one instance under load (docs/performance.md); heavy:
## 30 min or more. BENCH_FLEET_ARGS passes options, e.g. "--shapes 2 --quick" or "--labs a,b --keep"
.PHONY: bench-fleet
bench-fleet: setup
	mkdir -p bench/out
	$(VENV)/python bench/fleet_scale.py --out bench/out/fleet-scale.md $(BENCH_FLEET_ARGS)

## lock: re-pin app/requirements.lock with the index's sha256 of every file of every pinned release
## (existing pins are kept; `make lock PIP_COMPILE_ARGS=--upgrade` moves them to the newest)
.PHONY: lock
lock: setup
	cd app && CUSTOM_COMPILE_COMMAND="make lock" $(CURDIR)/$(VENV)/pip-compile --quiet --generate-hashes \
	  --strip-extras --no-emit-index-url --no-emit-find-links --output-file requirements.lock $(PIP_COMPILE_ARGS) \
	  pyproject.toml

destroy:
	$(LAB) destroy demo
	rm -f inventories/lab/hosts.yml

## image: the service's image ai-navigator:1.0.0 from the release wheelhouse (on the Docker engine
## DOCKER_HOST points at; this machine has no registry: see README "Containers" for the stand-in base)
image: setup
	scripts/containers/build-context.sh
	docker build -t ai-navigator:1.0.0 app

## containers: image, Compose tests under load on a private dockerd, then the Kubernetes smoke
## (podman kube play); leaves nothing running
containers: setup
	AI_NAVIGATOR_CONTAINERS=1 $(VENV)/pytest -p no:cacheprovider tests/containers tests/test_kubernetes_podman.py

## ee-context: the execution environment's build context in .ee/context (the collection tarball,
## ansible-builder's Containerfile); build it with podman/docker where a registry serves the base image
.PHONY: ee-context
ee-context: setup
	rm -rf .ee && $(VENV)/ansible-galaxy collection build --output-path .ee .
	$(VENV)/ansible-builder create -f execution-environment.yml -c .ee/context --output-filename Containerfile

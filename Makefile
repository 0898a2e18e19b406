.PHONY: run test bench lock mutation
run:  ## install everything, load the demo data, run web + worker + beat
	bash scripts/run.sh
test:  ## the whole suite: ruff, migrations check, pytest (unit, integration, browser)
	bash scripts/test.sh
bench:  ## customer list benchmark (see bench/README.md)
	bash scripts/bench.sh
mutation:  ## mutation testing of the kernel, not in CI: slow (see tests/README.md)
	bash scripts/mutation.sh $(ARGS)
lock:  ## regenerate requirements.lock (hashes) from pyproject.toml; --upgrade via ARGS
	bash scripts/lock.sh $(ARGS)
